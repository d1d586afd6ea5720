//! `npy append` with inputs it cannot use: a FIFO or a pipe as a source, a FIFO, a
//! directory or a symbolic link to nothing as DEST. Each is refused with a message
//! saying what it is, before DEST is created or changed, and the command never waits
//! for a writer that does not come.

use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::append::{data, npy_file, s, seq, text};

/// How long a command may take before it counts as blocked.
const PATIENCE: Duration = Duration::from_secs(20);

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("run mkfifo");
    assert!(status.success(), "mkfifo {}", path.display());
}

fn spawn(args: &[&str], stdin: Stdio) -> Child {
    Command::new(env!("CARGO_BIN_EXE_npy"))
        .args(args)
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run npy")
}

/// The output of `child`, which must exit within [`PATIENCE`]: a command blocked on a
/// FIFO is killed and fails the test instead of hanging it.
fn finish(mut child: Child) -> Output {
    let deadline = Instant::now() + PATIENCE;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("npy was still running after {PATIENCE:?}: it waits on a FIFO");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// Runs npy with no stdin, within [`PATIENCE`].
fn run(args: &[&str]) -> Output {
    finish(spawn(args, Stdio::null()))
}

fn refused_source(src: &Path) -> String {
    format!(
        "error: {}: is a pipe or FIFO, not a regular file: sources are read with seeks, which it does not allow; save it to a file first (nothing was appended)\n",
        src.display()
    )
}

#[test]
fn a_fifo_source_is_refused_without_waiting_and_dest_is_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo.npy");
    mkfifo(&fifo);
    let good = dir.path().join("good.npy");
    npy_file(&good, &[2, 3], false, None, &seq(0, 12));

    // A new DEST is not created.
    let new = dir.path().join("new.npy");
    let out = run(&["append", s(&new), s(&fifo)]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "");
    assert_eq!(text(&out.stderr), refused_source(&fifo));
    assert!(!new.exists());
    // Nor with a good source first, which would have created it.
    let out = run(&["append", s(&new), s(&good), s(&fifo)]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stderr), refused_source(&fifo));
    assert!(!new.exists());

    // An existing DEST is not changed, not even by the good source before the FIFO.
    let dest = dir.path().join("dest.npy");
    npy_file(&dest, &[1, 3], false, None, &seq(50, 6));
    let before = std::fs::read(&dest).unwrap();
    let out = run(&["append", s(&dest), s(&good), s(&fifo)]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "");
    assert_eq!(text(&out.stderr), refused_source(&fifo));
    assert_eq!(std::fs::read(&dest).unwrap(), before);
}

#[test]
fn a_pipe_on_stdin_as_source_is_refused_before_dest_is_created() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.npy");
    npy_file(&good, &[2, 3], false, None, &seq(0, 12));
    let bytes = std::fs::read(&good).unwrap();
    let new = dir.path().join("new.npy");
    let mut child = spawn(&["append", s(&new), "/dev/stdin"], Stdio::piped());
    let mut stdin = child.stdin.take().unwrap();
    // A whole, valid array on the pipe; npy may exit without reading it.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&bytes);
    });
    let out = finish(child);
    writer.join().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "");
    assert_eq!(text(&out.stderr), refused_source(Path::new("/dev/stdin")));
    assert!(!new.exists(), "DEST was created");

    // `-`, the usual name of standard input, is refused saying so.
    let out = finish(spawn(&["append", s(&new), "-"], Stdio::piped()));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "error: -: standard input cannot be a source: sources are read with seeks, which a pipe does not allow; save it to a file first (nothing was appended)\n"
    );
    assert!(!new.exists(), "DEST was created");
}

#[test]
fn a_dest_that_is_a_link_to_nothing_a_fifo_or_a_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.npy");
    npy_file(&good, &[2, 3], false, None, &seq(0, 12));

    let target = dir.path().join("target.npy");
    let link = dir.path().join("link.npy");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let out = run(&["append", s(&link), s(&good)]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "");
    assert_eq!(
        text(&out.stderr),
        format!(
            "error: {link}: is a symbolic link to {target}, which does not exist: append does not create files through a link (create {target} first, e.g. by appending to it, or remove the link)\n",
            link = link.display(),
            target = target.display()
        )
    );
    assert!(!target.exists());
    assert_eq!(std::fs::read_link(&link).unwrap(), target);

    // Once the target exists, appending through the link appends to it.
    let out = run(&["append", s(&target), s(&good)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = run(&["append", s(&link), s(&good)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        format!(
            "{}: appended 1 of 1 files (2 rows): shape (4, 3), format 1.0\n",
            link.display()
        )
    );
    assert_eq!(data(&target), [seq(0, 12), seq(0, 12)].concat());
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());

    let fifo = dir.path().join("fifo.npy");
    mkfifo(&fifo);
    let subdir = dir.path().join("sub.npy");
    std::fs::create_dir(&subdir).unwrap();
    for (dest, kind) in [(&fifo, "a pipe or FIFO"), (&subdir, "a directory")] {
        let out = run(&["append", s(dest), s(&good)]);
        assert_eq!(out.status.code(), Some(1), "{kind}");
        assert_eq!(text(&out.stdout), "");
        assert_eq!(
            text(&out.stderr),
            format!(
                "error: {}: is {kind}, not a regular file: DEST must be a .npy file, or a path where nothing is (to create one)\n",
                dest.display()
            )
        );
    }
    assert!(std::fs::read_dir(&subdir).unwrap().next().is_none());
}
