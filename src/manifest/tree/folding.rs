//! Files folded into their folders' objects one at a time, in path order: a folder's object
//! is sealed as soon as the files leave it, so a listing of any length costs memory for the
//! open folders and one summary per folder, not for its files.

use super::{FolderSum, Item, Leaf, Object, raw};

struct Level {
    rel: String,
    items: Vec<(String, Item)>,
    direct: u64,
}

/// The folders open while files are added, and the summaries of those closed.
pub struct Folding {
    stack: Vec<Level>,
    sums: Vec<FolderSum>,
}

impl Folding {
    /// Folding under `prefix` (`""`: paths relative to the project, or `bucket/` names).
    pub fn new(prefix: &str) -> Folding {
        Folding {
            stack: vec![Level {
                rel: prefix.to_owned(),
                items: Vec::new(),
                direct: 0,
            }],
            sums: Vec::new(),
        }
    }

    /// Adds the next file; files come sorted by path. `sink` gets each folder the file
    /// leaves behind, with its object's bytes.
    pub fn push(&mut self, f: &Leaf, sink: &mut dyn FnMut(&FolderSum, &[u8])) {
        while self.stack.len() > 1 && !f.rel.starts_with(&self.stack[self.stack.len() - 1].rel) {
            self.close(sink);
        }
        let mut at = self.stack[self.stack.len() - 1].rel.len();
        while let Some(slash) = f.rel[at..].find('/') {
            let rel = f.rel[..at + slash + 1].to_owned();
            at = rel.len();
            self.stack.push(Level {
                rel,
                items: Vec::new(),
                direct: 0,
            });
        }
        let top = self.stack.len() - 1;
        self.stack[top].items.push((
            f.rel[at..].to_owned(),
            Item::File {
                digest: f.digest,
                size: f.size,
            },
        ));
        self.stack[top].direct += 1;
    }

    /// Closes every open folder; the summaries of all, the top folder last.
    pub fn finish(mut self, sink: &mut dyn FnMut(&FolderSum, &[u8])) -> Vec<FolderSum> {
        while !self.stack.is_empty() {
            self.close(sink);
        }
        self.sums
    }

    fn close(&mut self, sink: &mut dyn FnMut(&FolderSum, &[u8])) {
        let Some(done) = self.stack.pop() else { return };
        let (tree, bytes) = Object::new(done.items).seal();
        let sum = FolderSum {
            rel: done.rel,
            tree,
            direct: done.direct,
        };
        sink(&sum, &bytes);
        if let Some(parent) = self.stack.last_mut() {
            let name = sum.rel[parent.rel.len()..].trim_end_matches('/').to_owned();
            parent.items.push((
                name,
                Item::Tree {
                    digest: raw(&sum.tree.tree).unwrap_or_default(),
                    files: sum.tree.files,
                    bytes: sum.tree.bytes,
                },
            ));
        }
        self.sums.push(sum);
    }
}
