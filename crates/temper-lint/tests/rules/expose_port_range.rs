use super::support::{lines, lint};

const ID: &str = "expose-port-range";

#[test]
fn fires_on_ports_over_65535() {
    assert_eq!(lint(ID, "FROM debian:12\nEXPOSE 80 65536\n"), [(2, 11, "EXPOSE port 65536 outside 0-65535".to_owned())]);
    assert_eq!(lines(ID, "FROM debian:12\nEXPOSE 70000/udp\nEXPOSE 8000-70001\n"), [2, 3]);
}

#[test]
fn valid_ports_ranges_and_variables_are_fine() {
    assert!(lines(ID, "FROM debian:12\nARG P\nEXPOSE 0 65535 8080/tcp 1-2 ${P}\n").is_empty());
}
