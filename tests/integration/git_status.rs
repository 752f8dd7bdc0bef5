//! The `git` command and libgit2 read the work tree's state identically.

use crate::project::Project;
use provbase::collect::git::{Via, worktree_status};
use std::path::PathBuf;

type Status = Result<(bool, u64), String>;
type Step<'a> = (&'static str, Box<dyn Fn() + 'a>);

fn both(p: &Project, exclude: &[PathBuf]) -> (Status, Status) {
    (
        worktree_status(p.path(), exclude, Via::Cli).map_err(|e| e.to_string()),
        worktree_status(p.path(), exclude, Via::Libgit2).map_err(|e| e.to_string()),
    )
}

#[test]
fn the_git_command_and_libgit2_agree() {
    let p = Project::new();
    p.file(".gitignore", "*.log\nbuild/\n")
        .file("src/a.py", "a\n")
        .file("src/b.py", "b\n")
        .file("docs/read me.md", "x\n")
        .file("data/é.csv", "1\n");
    p.git_init().commit_all("start");
    let excl = vec![p.join("baselines")];
    // each step changes the state; after each, the two readings agree
    let steps: Vec<Step> = vec![
        ("clean", Box::new(|| {})),
        (
            "ignored files",
            Box::new(|| {
                p.file("x.log", "l\n").file("build/out/o.bin", "o\n");
            }),
        ),
        (
            "baselines only",
            Box::new(|| {
                p.file("baselines/r.json", "{}\n");
            }),
        ),
        (
            "untracked nested",
            Box::new(|| {
                p.file("new/deep/er/n1.txt", "1\n")
                    .file("new/deep/n2.txt", "2\n")
                    .file("top.txt", "t\n");
            }),
        ),
        (
            "modified",
            Box::new(|| {
                p.file("src/a.py", "a2\n");
            }),
        ),
        (
            "staged rename and delete",
            Box::new(|| {
                p.git(&["mv", "src/b.py", "src/c.py"]);
                std::fs::remove_file(p.join("docs/read me.md")).unwrap();
            }),
        ),
        (
            "touched only",
            Box::new(|| {
                p.git(&["add", "-A"]).git(&["commit", "-q", "-m", "more"]);
                std::fs::File::options()
                    .write(true)
                    .open(p.join("src/a.py"))
                    .unwrap()
                    .set_modified(std::time::SystemTime::now())
                    .unwrap();
            }),
        ),
    ];
    let mut seen = Vec::new();
    for (what, step) in steps {
        step();
        let (cli, lib) = both(&p, &excl);
        assert_eq!(cli, lib, "{what}");
        seen.push((what, cli.unwrap()));
    }
    assert_eq!(seen[0].1, (false, 0));
    assert_eq!(seen[1].1, (false, 0), "ignored files count for nothing");
    assert_eq!(seen[2].1, (false, 0), "the baselines folder is left out");
    assert_eq!(seen[3].1, (false, 3), "each untracked file counts");
    assert_eq!(seen[4].1, (true, 3));
    assert_eq!(
        seen[6].1,
        (false, 0),
        "a touched file with the same content is clean"
    );
    // outside a repository both say so
    let q = Project::new();
    for via in [Via::Cli, Via::Libgit2] {
        let e = worktree_status(q.path(), &[], via).unwrap_err();
        let provbase::error::GitError::Libgit2(e) = e else {
            panic!("{e:?}")
        };
        assert_eq!(e.code(), git2::ErrorCode::NotFound, "{e}");
    }
}
