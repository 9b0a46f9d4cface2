#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use temper_fuzz::build::BaseCache;

// One base and cache directory for the whole run: writing them per input
// would cost more than the body.
static CACHE: OnceLock<BaseCache> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    CACHE.get_or_init(BaseCache::new).run(data);
});
