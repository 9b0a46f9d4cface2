//! `/etc/passwd`, so that a `USER` given by name can be mapped to its uid.

use temper_inventory::{Account, Fact};
use temper_layer::{Analyzer, FileEntry};

/// Reads `etc/passwd` into [`Account`]s.
pub struct PasswdReader;

/// The accounts of a passwd file; malformed lines are skipped, as libc does.
pub fn parse(text: &str) -> Vec<Account> {
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(|line| {
            let f: Vec<&str> = line.split(':').collect();
            let [name, _, uid, gid, _, home, shell] = f.as_slice() else { return None };
            Some(Account { name: (*name).to_owned(), uid: uid.parse().ok()?, gid: gid.parse().ok()?, home: (*home).to_owned(), shell: (*shell).to_owned() })
        })
        .collect()
}

impl Analyzer<Fact> for PasswdReader {
    fn id(&self) -> &'static str {
        "passwd"
    }
    fn version(&self) -> u32 {
        1
    }
    fn wants(&self, path: &str, _: &FileEntry) -> bool {
        path == "etc/passwd"
    }
    fn max_bytes(&self) -> u64 {
        4 << 20
    }
    fn analyze(&self, _: &str, content: &[u8]) -> Result<Vec<Fact>, String> {
        Ok(vec![Fact::Accounts { accounts: parse(&String::from_utf8_lossy(content)) }])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fact_survives_the_layer_cache() {
        // The cache stores facts as JSON; a fact that cannot be written
        // would make its layer a miss on every run.
        let facts = PasswdReader.analyze("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n").unwrap();
        let json = serde_json::to_string(&facts).unwrap();
        let back: Vec<Fact> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, facts);
    }

    #[test]
    fn reads_accounts_and_skips_broken_lines() {
        let a = parse("root:x:0:0:root:/root:/bin/bash\n# comment\nbroken:x:zz:0::/:/bin/sh\nshort:x:1\nnode:x:1000:1000::/home/node:/bin/sh\n");
        let names: Vec<(&str, u64)> = a.iter().map(|a| (a.name.as_str(), a.uid)).collect();
        assert_eq!(names, [("root", 0), ("node", 1000)]);
        assert_eq!(a[1].shell, "/bin/sh");
    }
}
