use super::support::{lines, lint};

const ID: &str = "chmod-777";

#[test]
fn fires_on_world_writable_modes() {
    assert_eq!(lint(ID, "FROM debian\nRUN chmod -R 777 /app\n"), [(2, 14, "chmod 777 makes files world-writable".to_owned())]);
    assert_eq!(lines(ID, "FROM debian\nRUN chmod 0666 /f\nRUN chmod a+rwx /d\nRUN chmod o+w /d\nRUN chmod u+x,go=rwx /d\nRUN chmod 772 /d\n"), [2, 3, 4, 5, 6]);
}

#[test]
fn safe_modes_and_sticky_bits_are_fine() {
    let ok = "FROM debian\nRUN chmod 755 /app && chmod 644 /f && chmod 1777 /tmp && chmod +x run.sh && chmod -R o-w /app\n\
        RUN chmod +w /f && chmod a+rwxt /shared && chmod u+rw,g+r /f && chmod 775 /d\n";
    assert!(lines(ID, ok).is_empty());
}
