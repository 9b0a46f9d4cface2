//! Lineage: which golden image each tracked image is built on, which of
//! those are on an old version of their golden image, and what a rebase
//! onto the newest would close.
//!
//! Golden images are the images of the references marked golden
//! ([`Fleet::add_golden`]); every digest such a reference has pointed at is
//! a version of it, and its current digest is the newest. An image's base
//! is the golden image its `org.opencontainers.image.base.digest`
//! annotation (or label) names; failing that, the golden image with the
//! most layers whose layer digests are a prefix of the image's. A rebase
//! onto the newest version closes the open findings whose package sits in
//! a base layer and whose exact package (purl, so name and version) the
//! newest version's inventory no longer has.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::fleet::Fleet;
use crate::store::{Backend, Value};
use crate::Error;

/// Images on one version of one golden image.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Group {
    /// The golden reference.
    pub golden: String,
    /// The version (manifest digest) these images are on.
    pub digest: String,
    /// The golden reference's current digest; `None` when it is not scanned yet.
    pub newest: Option<String>,
    /// Whether `digest` is the newest.
    pub up_to_date: bool,
    /// The images (references), sorted.
    pub images: Vec<String>,
    /// Open findings a rebase onto the newest would close; `None` when
    /// up to date, or when the newest is not scanned yet.
    pub rebase_closes: Option<i64>,
}

/// An image whose base is not a golden image.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Unbased {
    /// Its reference.
    pub reference: String,
    /// Its digest.
    pub digest: String,
    /// The base it names in its annotations, when it names one.
    pub base_name: Option<String>,
}

/// What [`Fleet::lineage`] reports.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Lineage {
    /// By golden reference, old versions before the newest.
    pub groups: Vec<Group>,
    /// Current images on no golden image.
    pub unbased: Vec<Unbased>,
}

/// A scanned image with its layers.
struct Image {
    id: i64,
    reference: String,
    digest: String,
    current: bool,
    base_name: Option<String>,
    base_digest: Option<String>,
    layers: Vec<String>,
}

fn load(db: &mut dyn Backend, golden: bool) -> Result<Vec<Image>, Error> {
    let sql = if golden {
        "SELECT i.id, i.reference, i.digest, i.current, i.base_name, i.base_digest FROM images i WHERE i.scanned_at IS NOT NULL AND i.reference IN (SELECT reference FROM golden) ORDER BY i.id"
    } else {
        "SELECT i.id, i.reference, i.digest, i.current, i.base_name, i.base_digest FROM images i WHERE i.scanned_at IS NOT NULL AND i.current = 1 AND i.reference NOT IN (SELECT reference FROM golden) ORDER BY i.reference, i.id"
    };
    let mut images = Vec::new();
    for r in db.query(sql, &[])? {
        let id = r.int(0)?;
        let layers = db.query("SELECT digest FROM layers WHERE image_id = $1 ORDER BY position", &[id.into()])?.iter().map(|l| l.text(0)).collect::<Result<_, _>>()?;
        images.push(Image { id, reference: r.text(1)?, digest: r.text(2)?, current: r.int(3)? == 1, base_name: r.opt_text(4)?, base_digest: r.opt_text(5)?, layers });
    }
    Ok(images)
}

/// The golden image `image` is built on: the one its base digest names
/// (the named reference's first), else the longest layer-prefix match.
fn base_of<'g>(image: &Image, golden: &'g [Image]) -> Option<&'g Image> {
    if let Some(digest) = &image.base_digest {
        let named = golden.iter().filter(|g| &g.digest == digest);
        if let Some(g) = named.clone().find(|g| Some(&g.reference) == image.base_name.as_ref()).or_else(|| named.clone().next()) {
            return Some(g);
        }
    }
    golden.iter().filter(|g| !g.layers.is_empty() && g.layers.len() <= image.layers.len() && image.layers.starts_with(&g.layers)).max_by_key(|g| g.layers.len())
}

impl Fleet {
    /// Marks `references` golden and tracks them (as [`Fleet::add`]).
    pub fn add_golden(&mut self, references: &[String]) -> Result<crate::AddOutcome, Error> {
        let outcome = self.add(references)?;
        let now = self.now();
        crate::store::transaction(self.db(), |db| {
            for r in references {
                db.execute("INSERT INTO golden (reference, added_at) VALUES ($1, $2) ON CONFLICT (reference) DO NOTHING", &[r.into(), now.into()])?;
            }
            Ok(())
        })?;
        Ok(outcome)
    }

    /// The golden references, sorted.
    pub fn golden(&mut self) -> Result<Vec<String>, Error> {
        self.db().query("SELECT reference FROM golden ORDER BY reference", &[])?.iter().map(|r| r.text(0)).collect()
    }

    /// Groups the current, scanned, non-golden images by the golden
    /// version they are built on; see the module documentation.
    pub fn lineage(&mut self) -> Result<Lineage, Error> {
        let db = self.db();
        let golden = load(db, true)?;
        let images = load(db, false)?;
        let newest: BTreeMap<&str, &Image> = golden.iter().filter(|g| g.current).map(|g| (g.reference.as_str(), g)).collect();
        let mut groups: BTreeMap<(String, bool, String), Group> = BTreeMap::new();
        let mut unbased = Vec::new();
        for image in &images {
            let Some(base) = base_of(image, &golden) else {
                unbased.push(Unbased { reference: image.reference.clone(), digest: image.digest.clone(), base_name: image.base_name.clone() });
                continue;
            };
            let new = newest.get(base.reference.as_str()).copied();
            let up_to_date = new.is_some_and(|n| n.digest == base.digest);
            let closes = match new {
                Some(new) if !up_to_date => Some(rebase_closes(db, image.id, base.layers.len(), new.id)?),
                _ => None,
            };
            let group = groups.entry((base.reference.clone(), up_to_date, base.digest.clone())).or_insert_with(|| Group {
                golden: base.reference.clone(),
                digest: base.digest.clone(),
                newest: new.map(|n| n.digest.clone()),
                up_to_date,
                images: Vec::new(),
                rebase_closes: closes.map(|_| 0),
            });
            group.images.push(image.reference.clone());
            if let (Some(total), Some(n)) = (group.rebase_closes.as_mut(), closes) {
                *total += n;
            }
        }
        Ok(Lineage { groups: groups.into_values().collect(), unbased })
    }
}

/// Open findings of `image` whose package is in its first `base_layers`
/// layers and absent (by purl) from the inventory of image `new`.
fn rebase_closes(db: &mut dyn Backend, image: i64, base_layers: usize, new: i64) -> Result<i64, Error> {
    let rows = db.query(
        "SELECT count(DISTINCT f.id) FROM findings f JOIN packages p ON p.image_id = f.image_id AND p.purl = f.purl \
         WHERE f.image_id = $1 AND f.status = 'open' AND p.layer < $2 AND f.purl NOT IN (SELECT purl FROM packages WHERE image_id = $3)",
        &[image.into(), Value::from(base_layers as i64), new.into()],
    )?;
    rows.first().map_or(Ok(0), |r| r.int(0))
}

/// Where one current, scanned, non-golden image sits in the lineage.
pub(crate) struct Placement {
    /// The image's row id.
    pub image: i64,
    /// The golden reference it is built on.
    pub golden: String,
    /// The golden version's row id and digest.
    pub base: (i64, String),
    /// How many of the image's layers are the base's.
    pub base_layers: usize,
    /// The golden reference's current version (row id, digest), when scanned.
    pub newest: Option<(i64, String)>,
}

/// The placement of every current, scanned, non-golden image built on a
/// golden image, by image id (the same rule as [`Fleet::lineage`]).
pub(crate) fn placements(db: &mut dyn Backend) -> Result<BTreeMap<i64, Placement>, Error> {
    let golden = load(db, true)?;
    let images = load(db, false)?;
    let newest: BTreeMap<&str, &Image> = golden.iter().filter(|g| g.current).map(|g| (g.reference.as_str(), g)).collect();
    let mut out = BTreeMap::new();
    for image in &images {
        let Some(base) = base_of(image, &golden) else { continue };
        let new = newest.get(base.reference.as_str()).map(|n| (n.id, n.digest.clone()));
        out.insert(image.id, Placement { image: image.id, golden: base.reference.clone(), base: (base.id, base.digest.clone()), base_layers: base.layers.len(), newest: new });
    }
    Ok(out)
}
