use super::support::{lines, lint};

const ID: &str = "apt-get-update-alone";

#[test]
fn fires_on_update_without_install() {
    assert_eq!(lint(ID, "FROM debian\nRUN apt-get update\n"), [(2, 5, "apt-get update without an install in the same RUN".to_owned())]);
    assert_eq!(lint(ID, "FROM debian\nRUN apt update && echo done\n"), [(2, 5, "apt update without an install in the same RUN".to_owned())]);
    assert_eq!(lines(ID, "FROM debian\nRUN apt-get update\nRUN apt-get install -y curl\n"), [2]);
}

#[test]
fn install_upgrade_or_helper_in_the_same_run_is_fine() {
    let ok = "FROM debian\n\
        RUN apt-get update && apt-get install -y curl\n\
        RUN apt-get -q update && apt-get -y upgrade\n\
        RUN apt-get update; install_packages curl\n\
        RUN apt-get update && /tmp/install-deps.sh\n\
        RUN <<EOF\napt-get update\napt-get install -y git\nEOF\n";
    assert!(lines(ID, ok).is_empty());
}
