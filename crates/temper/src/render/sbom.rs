//! `temper sbom`: the table, and the image as the standard SBOM formats describe it.

use temper_inventory::Inventory;

use super::{columns, escape};

pub fn table(inv: &Inventory) -> String {
    let mut out = String::new();
    if let Some(os) = &inv.os {
        let name = os.pretty_name.clone().unwrap_or_else(|| format!("{} {}", os.id, os.version_id.clone().unwrap_or_default()));
        out.push_str(&format!("OS  {}\n\n", escape(&name)));
    }
    let mut rows = vec![vec!["NAME".into(), "VERSION".into(), "TYPE".into(), "LAYER".into(), "PATH".into()]];
    for p in &inv.packages {
        rows.push(vec![
            p.package.name.clone(),
            p.package.version.clone(),
            p.package.ecosystem.purl_type().to_owned(),
            p.layer.map_or_else(|| "-".to_owned(), |l| l.to_string()),
            p.paths.first().map(|s| format!("/{s}")).unwrap_or_default(),
        ]);
    }
    out.push_str(&columns(&rows, &[3]));
    out.push_str(&format!("\n{} packages", inv.packages.len()));
    if !inv.unknowns.is_empty() {
        out.push_str(&format!(", {} files could not be read:\n", inv.unknowns.len()));
        for u in &inv.unknowns {
            out.push_str(&format!("  layer {} /{} ({}): {}\n", u.layer, escape(&u.path), u.cataloger, escape(&u.reason)));
        }
    } else {
        out.push('\n');
    }
    out
}
