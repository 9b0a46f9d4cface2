//! What a long assessment tells its caller while it runs: layer progress,
//! download progress, warnings. The CLI draws bars and prints to stderr;
//! a server logs or stays silent. The library itself never writes to a
//! terminal.

/// One layer as a progress display names it.
#[derive(Clone, Debug)]
pub struct LayerLabel {
    /// A short digest (12 hex digits), empty when the image names none.
    pub digest: String,
    /// The stored (compressed) size, when the manifest gives it.
    pub size: Option<u64>,
}

/// The labels of `image`'s layers, in order.
pub fn layer_labels(image: &temper_image::Image) -> Vec<LayerLabel> {
    image.layers.iter().map(|l| LayerLabel { digest: l.digest.as_ref().or(l.diff_id.as_ref()).map_or_else(String::new, |d| d.short().to_owned()), size: l.size }).collect()
}

/// Progress of one download: `read` bytes of `total` so far.
pub trait Download {
    /// More bytes arrived.
    fn update(&self, total: Option<u64>, read: u64);
}

/// Told what an assessment is doing.
pub trait Reporter: Sync {
    /// A layer pass doing `phase` (`reading`, `scanning`) to `layers`
    /// starts; it reports through the returned progress, dropped when the
    /// pass ends.
    fn layer_pass(&self, phase: &'static str, layers: Vec<LayerLabel>) -> Box<dyn temper_layer::Progress + '_>;
    /// A download named `name` starts; dropped when it ends.
    fn download(&self, name: &str) -> Box<dyn Download + '_>;
    /// Something the user should know that does not stop the run.
    fn warn(&self, message: &str);
    /// Something worth saying that is not a problem (a registry retry).
    fn note(&self, message: &str);
}

/// A reporter that says nothing: servers and tests.
pub struct Silent;

struct NoDownload;

impl Download for NoDownload {
    fn update(&self, _: Option<u64>, _: u64) {}
}

impl Reporter for Silent {
    fn layer_pass(&self, _: &'static str, _: Vec<LayerLabel>) -> Box<dyn temper_layer::Progress + '_> {
        Box::new(temper_layer::NoProgress)
    }
    fn download(&self, _: &str) -> Box<dyn Download + '_> {
        Box::new(NoDownload)
    }
    fn warn(&self, _: &str) {}
    fn note(&self, _: &str) {}
}
