use super::support::{lines, lint};

const ID: &str = "gem-pin-versions";

#[test]
fn fires_on_unpinned_gems() {
    assert_eq!(lint(ID, "FROM ruby:3.3\nRUN gem install bundler:2.5 rake\n"), [(2, 1, "gem install without version pins: rake".to_owned())]);
}

#[test]
fn pins_version_flags_and_local_gems_are_fine() {
    assert!(lines(ID, "FROM ruby:3.3\nRUN gem install rails -v 7.1 && gem install rake --version 13\n").is_empty());
    assert!(lines(ID, "FROM ruby:3.3\nRUN gem install ./x.gem pkg/y.gem $GEMS && gem update --system\n").is_empty());
}

#[test]
fn gem_i_is_install() {
    assert_eq!(lint(ID, "FROM ruby:3.3\nRUN gem i rails\n"), [(2, 1, "gem install without version pins: rails".to_owned())]);
    assert!(lines(ID, "FROM ruby:3.3\nRUN gem i rails -v 7.1.3 && gem i bundler:2.5.6\n").is_empty());
}
