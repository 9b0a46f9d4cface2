//! `image-size`: the image is not larger than `Settings::max_size`.
//!
//! Size is the sum of the layers' uncompressed tar sizes, as `temper
//! layers` reports it: what a node unpacks and stores. Every byte is
//! pulled on each cold start and is room for unneeded software, but a
//! large image is not a vulnerability by itself: **low** in every profile.

use super::bytes;
use crate::{Check, Context, Outcome, Profile, Severity};

/// See the module documentation.
pub struct ImageSize;

impl Check for ImageSize {
    fn id(&self) -> &'static str {
        "image-size"
    }
    fn title(&self) -> &'static str {
        "Image size within the limit"
    }
    fn severity(&self, _: Profile) -> Severity {
        Severity::Low
    }
    fn remediation(&self) -> &'static str {
        "Use a smaller base (slim, distroless), build in a separate stage and copy only the artefacts, and see `temper layers` for the layers that add most."
    }
    fn run(&self, cx: &Context<'_>) -> Outcome {
        let size: u64 = cx.layers.iter().map(|l| l.uncompressed_size).sum();
        let max = cx.settings.max_size;
        if size > max {
            Outcome::fail(format!("uncompressed size {} is over the maximum {}", bytes(size), bytes(max)), Vec::new())
        } else {
            Outcome::pass(format!("uncompressed size {} (maximum {})", bytes(size), bytes(max)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{TestImage, file};
    use super::*;
    use crate::Status;

    #[test]
    fn compares_the_sum_of_the_layers() {
        let mut image = TestImage::new().layer(vec![file("a", 0o644, 600)]).layer(vec![file("b", 0o644, 400)]);
        image.settings.max_size = 1000;
        let o = image.run(&ImageSize);
        assert_eq!((o.status, o.message.as_str()), (Status::Pass, "uncompressed size 1000 B (maximum 1000 B)"));
        image.settings.max_size = 999;
        let o = image.run(&ImageSize);
        assert_eq!((o.status, o.message.as_str()), (Status::Fail, "uncompressed size 1000 B is over the maximum 999 B"));
    }
}
