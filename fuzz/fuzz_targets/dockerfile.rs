#![no_main]

use std::sync::Once;

use libfuzzer_sys::fuzz_target;

static QUIET: Once = Once::new();

fuzz_target!(|data: &[u8]| {
    // The parser runs brush-parser under `catch_unwind` and keeps a RUN it
    // panics on as unparsed text. libfuzzer-sys's panic hook aborts before
    // that catch can happen; a hook that only stays silent lets it work,
    // while a panic anywhere else still reaches libfuzzer-sys's own catch,
    // which aborts and reports the input.
    QUIET.call_once(|| std::panic::set_hook(Box::new(|_| {})));
    temper_fuzz::dockerfile::dockerfile(data);
});
