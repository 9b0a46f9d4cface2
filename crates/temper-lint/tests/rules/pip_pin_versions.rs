use super::support::{lines, lint};

const ID: &str = "pip-pin-versions";

#[test]
fn fires_on_unpinned_packages() {
    assert_eq!(
        lint(ID, "FROM python:3.12\nRUN pip install --no-cache-dir flask requests==2.31\n"),
        [(2, 1, "pip install without version pins: flask".to_owned())]
    );
    assert_eq!(lines(ID, "FROM python:3.12\nRUN python3 -m pip install --upgrade pip\nRUN pip install git+https://example.invalid/a.git\n"), [2, 3]);
}

#[test]
fn pins_files_paths_and_vcs_revisions_are_fine() {
    assert!(lines(ID, "FROM python:3.12\nRUN pip install flask==1.0 'b>=1' \"c<2\" d~=2 e[extra]==1 -r requirements.txt\n").is_empty());
    assert!(lines(ID, "FROM python:3.12\nRUN pip install -e . && pip install . ./dist/x.whl /src/pkg x.tar.gz\n").is_empty());
    assert!(lines(ID, "FROM python:3.12\nRUN pip install git+https://example.invalid/a.git@v1.2 $PKGS\n").is_empty());
    assert!(lines(ID, "FROM python:3.12\nRUN pip install -c constraints.txt flask\nRUN pip install -i https://example.invalid/simple x==1\n").is_empty());
    assert!(lines(ID, "FROM python:3.12\nRUN pip download flask && pip uninstall -y flask\n").is_empty());
}

#[test]
fn onbuild_run_is_linted() {
    let df = "FROM python:3.12\nRUN echo base\nONBUILD RUN pip install flask\nONBUILD RUN apt-get update && apt-get install -y curl \\\n    && apk add git\n";
    assert_eq!(lint(ID, df), [(3, 9, "pip install without version pins: flask".to_owned())]);
    assert_eq!(super::support::lines("apt-get-pin-versions", df), [4]);
    assert_eq!(super::support::lines("apk-pin-versions", df), [4]);
    assert!(lines(ID, "FROM python:3.12\n# hadolint ignore=DL3013\nONBUILD RUN pip install flask\n").is_empty());
    // A trigger runs in another build: it is not merged with the RUN before it.
    assert!(super::support::lines("run-consecutive", "FROM python:3.12\nRUN echo base\nONBUILD RUN echo child\n").is_empty());
}
