//! Keeps the module layout of `crates/core` and `crates/hub` the way
//! ARCHITECTURE.md draws it: no module imports one that imports it back,
//! directly or through others, and the hub's modules import only down its
//! layers. Run as tests (`cargo test -p xtask`, and so `cargo xtask test`).
//!
//! The sources are read by a scanner, not a compiler, under these rules:
//! - A module is a file: `a.rs` and `a/mod.rs` are `a`, `a/b.rs` is `a::b`.
//!   The crate root (`lib.rs`, `main.rs`) is not a module of the graph.
//! - An import is a path in code (comments, strings and characters left
//!   out) that starts with `crate::`, `$crate::`, `self::`, `super::`, or
//!   the name of one of the file's own child modules, every branch of a
//!   `use` tree included. It imports the deepest module the path reaches;
//!   `super::` in `a/b.rs` reaches `a` (its `mod.rs`). `mod x;` is not an
//!   import.
//! - A `pub use` of a module's own descendants (a folder showing its
//!   children's items, the crate root its modules') is how that module
//!   presents them, not an import: a path through it is followed to the
//!   module the item comes from. Any other `pub use` is an import. Glob
//!   re-exports (`pub use x::*`) are not followed.
//! - Tests import freely: items under `#[cfg(test)]` are left out, and so
//!   are the files of modules named `tests` or `*_tests` (`tests.rs`,
//!   `x_tests.rs`, `x_tests/…`), of modules declared `#[cfg(test)] mod x;`,
//!   and files starting with `#![cfg(test)]`. Only the plain `cfg(test)`
//!   counts.
//! - Not understood: `#[path]` attributes, and `super::` inside an inline
//!   `mod x { … }` of production code (read as the file's own `super::`).
//!
//! A circle is a strongly connected component of more than one module.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A module's path from the crate root (`["sync", "run"]`).
type ModPath = Vec<String>;

/// One import, with where it was read, so a failure says what to change.
#[derive(Debug, Clone)]
struct Edge {
    to: ModPath,
    file: String,
    line: usize,
    path: String,
}

#[derive(Debug)]
struct Module {
    file: String,
    test_only: bool,
    tokens: Vec<Token>,
}

/// The modules of one crate and the imports between them.
#[derive(Debug, Default)]
pub struct Graph {
    modules: BTreeMap<ModPath, Module>,
    /// What each module presents of its descendants: name → absolute path.
    reexports: BTreeMap<ModPath, BTreeMap<String, Vec<String>>>,
    edges: BTreeMap<ModPath, Vec<Edge>>,
}

impl Graph {
    /// Reads every `.rs` file under `src`.
    pub fn read(src: &Path) -> Result<Self, String> {
        let mut files = Vec::new();
        collect(src, src, &mut files)?;
        Ok(Self::from_sources(files))
    }

    /// Builds the graph from `(path under src, source)` pairs.
    pub fn from_sources(files: Vec<(PathBuf, String)>) -> Self {
        let mut graph = Graph::default();
        let mut roots = Vec::new();
        for (rel, source) in files {
            let file = rel.to_string_lossy().replace('\\', "/");
            let Some(path) = module_path(&rel) else {
                continue;
            };
            let tokens = tokenize(&source);
            let test_only = path.iter().any(|s| s == "tests" || s.ends_with("_tests"))
                || starts_test_only(&tokens);
            let module = Module {
                file,
                test_only,
                tokens,
            };
            if path.is_empty() {
                roots.push(module);
            } else {
                graph.modules.insert(path, module);
            }
        }
        // A binary beside a library is its own crate: only the library's
        // root says what `crate::` holds.
        roots.sort_by_key(|m| m.file != "lib.rs");
        if let Some(root) = roots.into_iter().next() {
            graph.modules.insert(Vec::new(), root);
        }
        graph.mark_test_modules();
        graph.read_reexports();
        graph.read_edges();
        graph
    }

    /// Modules declared `#[cfg(test)] mod x;`, and everything under them.
    fn mark_test_modules(&mut self) {
        let mut test_roots = Vec::new();
        for (path, m) in &self.modules {
            for name in strip_tests(&m.tokens).test_children {
                let mut child = path.clone();
                child.push(name);
                test_roots.push(child);
            }
        }
        for (path, m) in self.modules.iter_mut() {
            if test_roots.iter().any(|t| path.starts_with(t)) {
                m.test_only = true;
            }
        }
    }

    fn read_reexports(&mut self) {
        let mut all = BTreeMap::new();
        for (path, m) in &self.modules {
            if m.test_only {
                continue;
            }
            let mut presented = BTreeMap::new();
            for u in uses(&strip_tests(&m.tokens).tokens) {
                let Some(abs) = self.absolute(path, &u.segments) else {
                    continue;
                };
                if u.public && !u.glob && self.is_below(path, &abs) {
                    presented.insert(u.name.clone(), abs);
                }
            }
            all.insert(path.clone(), presented);
        }
        self.reexports = all;
    }

    fn read_edges(&mut self) {
        let mut edges: BTreeMap<ModPath, Vec<Edge>> = BTreeMap::new();
        for (path, m) in &self.modules {
            if m.test_only || path.is_empty() {
                continue;
            }
            let code = strip_tests(&m.tokens).tokens;
            let mut found: Vec<(Vec<String>, usize)> = Vec::new();
            for u in uses(&code) {
                let Some(abs) = self.absolute(path, &u.segments) else {
                    continue;
                };
                // A folder presenting its children imports nothing by it.
                if u.public && self.is_below(path, &abs) {
                    continue;
                }
                found.push((u.segments, u.line));
            }
            for (segments, line) in code_paths(&code) {
                found.push((segments, line));
            }
            for (segments, line) in found {
                let Some(abs) = self.absolute(path, &segments) else {
                    continue;
                };
                let to = self.resolve(&abs, 0);
                let own = &to == path || to.is_empty();
                let testing = self.modules.get(&to).is_none_or(|t| t.test_only);
                if own || testing {
                    continue;
                }
                edges.entry(path.clone()).or_default().push(Edge {
                    to,
                    file: m.file.clone(),
                    line,
                    path: segments.join("::"),
                });
            }
        }
        self.edges = edges;
    }

    /// `segments` from the crate root, or `None` for a path into another
    /// crate (or one this scanner does not follow).
    fn absolute(&self, module: &[String], segments: &[String]) -> Option<Vec<String>> {
        let first = segments.first()?;
        let (mut base, rest): (Vec<String>, &[String]) = match first.as_str() {
            "crate" => (Vec::new(), &segments[1..]),
            "self" => (module.to_vec(), &segments[1..]),
            "super" => {
                let mut base = module.to_vec();
                let ups = segments.iter().take_while(|s| *s == "super").count();
                for _ in 0..ups {
                    base.pop()?;
                }
                (base, &segments[ups..])
            }
            name => {
                let mut child = module.to_vec();
                child.push(name.to_string());
                if !self.modules.contains_key(&child) {
                    return None;
                }
                (module.to_vec(), segments)
            }
        };
        base.extend(rest.iter().filter(|s| *s != "self").cloned());
        Some(base)
    }

    /// Whether `abs` names (something in) a strict descendant of `module`,
    /// by the modules its path literally walks through.
    fn is_below(&self, module: &[String], abs: &[String]) -> bool {
        let mut reached = 0;
        for n in 1..=abs.len() {
            if self.modules.contains_key(&abs[..n]) {
                reached = n;
            } else {
                break;
            }
        }
        reached > module.len() && abs.starts_with(module)
    }

    /// The module an absolute path imports, following re-exports.
    fn resolve(&self, abs: &[String], depth: u8) -> ModPath {
        let mut here: ModPath = Vec::new();
        for (i, seg) in abs.iter().enumerate() {
            let mut next = here.clone();
            next.push(seg.clone());
            if self.modules.contains_key(&next) {
                here = next;
                continue;
            }
            let presented = self.reexports.get(&here).and_then(|r| r.get(seg));
            if let (Some(target), true) = (presented, depth < 8) {
                let mut follow = target.clone();
                follow.extend(abs[i + 1..].iter().cloned());
                return self.resolve(&follow, depth + 1);
            }
            break;
        }
        here
    }

    /// Every strongly connected component of more than one module, each
    /// with one circle through it and the imports that make it.
    pub fn circles(&self) -> Vec<String> {
        let nodes: Vec<&ModPath> = self
            .modules
            .iter()
            .filter(|(p, m)| !p.is_empty() && !m.test_only)
            .map(|(p, _)| p)
            .collect();
        let targets = |from: &ModPath| -> BTreeSet<ModPath> {
            self.edges
                .get(from)
                .map(|es| es.iter().map(|e| e.to.clone()).collect())
                .unwrap_or_default()
        };
        let graph: BTreeMap<ModPath, BTreeSet<ModPath>> =
            nodes.iter().map(|n| ((*n).clone(), targets(n))).collect();
        components(&graph)
            .into_iter()
            .filter(|c| c.len() > 1)
            .map(|c| self.describe_circle(&c, &graph))
            .collect()
    }

    fn describe_circle(
        &self,
        component: &BTreeSet<ModPath>,
        graph: &BTreeMap<ModPath, BTreeSet<ModPath>>,
    ) -> String {
        let names: Vec<String> = component.iter().map(show).collect();
        let mut out = format!(
            "{} modules import each other: {}",
            names.len(),
            names.join(", ")
        );
        let Some(start) = component.iter().next() else {
            return out;
        };
        // Breadth first from `start` back to it, inside the component.
        let mut came_from: BTreeMap<ModPath, ModPath> = BTreeMap::new();
        let mut queue = std::collections::VecDeque::from([start.clone()]);
        'search: while let Some(at) = queue.pop_front() {
            for next in graph.get(&at).into_iter().flatten() {
                if !component.contains(next) || came_from.contains_key(next) {
                    continue;
                }
                came_from.insert(next.clone(), at.clone());
                if next == start {
                    break 'search;
                }
                queue.push_back(next.clone());
            }
        }
        let mut circle = vec![start.clone()];
        let mut at = start.clone();
        while let Some(prev) = came_from.get(&at) {
            if prev == start {
                break;
            }
            circle.push(prev.clone());
            at = prev.clone();
        }
        circle.push(start.clone());
        circle.reverse();
        out.push_str("; for one:");
        for pair in circle.windows(2) {
            if let Some(e) = self.edge(&pair[0], &pair[1]) {
                out.push_str(&format!(
                    "\n    {} → {}  ({}:{} `{}`)",
                    show(&pair[0]),
                    show(&pair[1]),
                    e.file,
                    e.line,
                    e.path
                ));
            }
        }
        out
    }

    fn edge(&self, from: &ModPath, to: &ModPath) -> Option<&Edge> {
        self.edges.get(from)?.iter().find(|e| &e.to == to)
    }

    /// Imports that break `layers`: across top-level modules, a module may
    /// import only from the layers its own may import; within one
    /// top-level module or folder anything goes (circles aside).
    pub fn layer_breaches(&self, layers: &[Layer]) -> Vec<String> {
        let layer = |top: &str| {
            layers
                .iter()
                .position(|l| l.modules.contains(&top))
                .or_else(|| layers.iter().position(|l| l.modules.is_empty()))
                .unwrap_or(layers.len().saturating_sub(1))
        };
        let mut out = Vec::new();
        for (from, edges) in &self.edges {
            let Some(from_top) = from.first() else {
                continue;
            };
            let from_layer = layer(from_top);
            let allowed = layers.get(from_layer).map_or(&[][..], |l| l.may_import);
            // One line per pair of modules, with the first import as the example.
            let mut seen = BTreeSet::new();
            for e in edges {
                let Some(to_top) = e.to.first() else {
                    continue;
                };
                if from_top == to_top || allowed.contains(&layer(to_top)) || !seen.insert(&e.to) {
                    continue;
                }
                out.push(format!(
                    "{} (layer {from_layer}) imports {} (layer {}), but layer {from_layer} may import only layers {allowed:?} and its own folder: {}:{} `{}`",
                    show(from),
                    show(&e.to),
                    layer(to_top),
                    e.file,
                    e.line,
                    e.path
                ));
            }
        }
        out
    }

    fn module_count(&self) -> usize {
        self.modules
            .iter()
            .filter(|(p, m)| !p.is_empty() && !m.test_only)
            .count()
    }

    fn edge_count(&self) -> usize {
        self.edges.values().map(Vec::len).sum()
    }
}

fn show(m: &ModPath) -> String {
    m.join("::")
}

fn collect(src: &Path, dir: &Path, out: &mut Vec<(PathBuf, String)>) -> Result<(), String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for entry in entries {
        let path = entry.map_err(|e| format!("{}: {e}", dir.display()))?.path();
        if path.is_dir() {
            collect(src, &path, out)?;
        } else if path.extension().is_some_and(|e| e == "rs") {
            let source =
                std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            let rel = path.strip_prefix(src).unwrap_or(&path).to_path_buf();
            out.push((rel, source));
        }
    }
    Ok(())
}

/// `a.rs`, `a/mod.rs` → `a`; `a/b.rs` → `a::b`; the roots → `[]`; a
/// binary under `bin/` belongs to no module of the library.
fn module_path(rel: &Path) -> Option<ModPath> {
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let file = parts.pop()?;
    if parts.first().is_some_and(|p| p == "bin") {
        return None;
    }
    let stem = file.strip_suffix(".rs")?;
    match stem {
        "lib" | "main" if parts.is_empty() => {}
        "mod" => {}
        _ => parts.push(stem.to_string()),
    }
    Some(parts)
}

/// Strongly connected components (Tarjan's algorithm).
fn components(graph: &BTreeMap<ModPath, BTreeSet<ModPath>>) -> Vec<BTreeSet<ModPath>> {
    struct State<'g> {
        graph: &'g BTreeMap<ModPath, BTreeSet<ModPath>>,
        index: BTreeMap<&'g ModPath, usize>,
        low: BTreeMap<&'g ModPath, usize>,
        stack: Vec<&'g ModPath>,
        on_stack: BTreeSet<&'g ModPath>,
        out: Vec<BTreeSet<ModPath>>,
    }
    fn visit<'g>(s: &mut State<'g>, v: &'g ModPath) {
        let i = s.index.len();
        s.index.insert(v, i);
        s.low.insert(v, i);
        s.stack.push(v);
        s.on_stack.insert(v);
        let graph = s.graph;
        for w in graph.get(v).into_iter().flatten() {
            let Some((w, _)) = graph.get_key_value(w) else {
                continue;
            };
            if !s.index.contains_key(w) {
                visit(s, w);
                let lw = s.low[w];
                let lv = s.low[v];
                s.low.insert(v, lv.min(lw));
            } else if s.on_stack.contains(w) {
                let iw = s.index[w];
                let lv = s.low[v];
                s.low.insert(v, lv.min(iw));
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = BTreeSet::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                component.insert(w.clone());
                if w == v {
                    break;
                }
            }
            s.out.push(component);
        }
    }
    let mut s = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in graph.keys() {
        if !s.index.contains_key(v) {
            visit(&mut s, v);
        }
    }
    s.out
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    /// `::`
    PathSep,
    Punct(char),
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    line: usize,
}

impl Token {
    fn is_ident(&self, s: &str) -> bool {
        matches!(&self.tok, Tok::Ident(i) if i == s)
    }
    fn is_punct(&self, c: char) -> bool {
        self.tok == Tok::Punct(c)
    }
}

/// Identifiers, `::` and punctuation, with comments, strings, characters,
/// lifetimes and numbers left out.
fn tokenize(source: &str) -> Vec<Token> {
    let chars: Vec<char> = source.chars().collect();
    let mut out = Vec::new();
    let (mut i, mut line) = (0, 1);
    let at = |i: usize| chars.get(i).copied().unwrap_or('\0');
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\n' => {
                line += 1;
                i += 1;
            }
            c if c.is_whitespace() => i += 1,
            '/' if at(i + 1) == '/' => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '/' if at(i + 1) == '*' => {
                let mut depth = 0;
                while i < chars.len() {
                    if chars[i] == '/' && at(i + 1) == '*' {
                        depth += 1;
                        i += 2;
                    } else if chars[i] == '*' && at(i + 1) == '/' {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        if chars[i] == '\n' {
                            line += 1;
                        }
                        i += 1;
                    }
                }
            }
            '"' => i = skip_string(&chars, i + 1, &mut line),
            '\'' => {
                if at(i + 1) == '\\' {
                    // An escaped character: '\n', '\'', '\u{1F600}'.
                    i += 2;
                    while i < chars.len() && chars[i] != '\'' {
                        i += 1;
                    }
                    i += 1;
                } else if at(i + 2) == '\'' {
                    i += 3;
                } else {
                    // A lifetime or a label.
                    i += 1;
                    while at(i).is_alphanumeric() || at(i) == '_' {
                        i += 1;
                    }
                }
            }
            c if c.is_alphabetic() || c == '_' => {
                let start = i;
                while at(i).is_alphanumeric() || at(i) == '_' {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                let raw_string = matches!(word.as_str(), "r" | "br" | "cr")
                    && (at(i) == '"' || (at(i) == '#' && matches!(at(i + 1), '"' | '#')));
                if raw_string {
                    let mut hashes = 0;
                    while at(i) == '#' {
                        hashes += 1;
                        i += 1;
                    }
                    i += 1;
                    loop {
                        if i >= chars.len() {
                            break;
                        }
                        if chars[i] == '\n' {
                            line += 1;
                        }
                        if chars[i] == '"' && (1..=hashes).all(|h| at(i + h) == '#') {
                            i += 1 + hashes;
                            break;
                        }
                        i += 1;
                    }
                } else if matches!(word.as_str(), "b" | "c") && at(i) == '"' {
                    i = skip_string(&chars, i + 1, &mut line);
                } else if word == "b" && at(i) == '\'' {
                    i += 1;
                    if at(i) == '\\' {
                        i += 1;
                    }
                    i += 1;
                    while i < chars.len() && chars[i] != '\'' {
                        i += 1;
                    }
                    i += 1;
                } else if word == "r" && at(i) == '#' {
                    // A raw identifier: r#type.
                    i += 1;
                    let start = i;
                    while at(i).is_alphanumeric() || at(i) == '_' {
                        i += 1;
                    }
                    out.push(Token {
                        tok: Tok::Ident(chars[start..i].iter().collect()),
                        line,
                    });
                } else {
                    out.push(Token {
                        tok: Tok::Ident(word),
                        line,
                    });
                }
            }
            c if c.is_ascii_digit() => {
                while at(i).is_alphanumeric()
                    || at(i) == '_'
                    || (at(i) == '.' && at(i + 1).is_ascii_digit())
                {
                    i += 1;
                }
            }
            ':' if at(i + 1) == ':' => {
                out.push(Token {
                    tok: Tok::PathSep,
                    line,
                });
                i += 2;
            }
            c => {
                out.push(Token {
                    tok: Tok::Punct(c),
                    line,
                });
                i += 1;
            }
        }
    }
    out
}

/// Past the closing quote of a string whose body starts at `i`.
fn skip_string(chars: &[char], mut i: usize, line: &mut usize) -> usize {
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 2,
            '"' => return i + 1,
            c => {
                if c == '\n' {
                    *line += 1;
                }
                i += 1;
            }
        }
    }
    i
}

/// A file that starts with `#![cfg(test)]`.
fn starts_test_only(tokens: &[Token]) -> bool {
    let want = ["#", "!", "[", "cfg", "(", "test", ")", "]"];
    tokens.len() >= want.len() && tokens.iter().zip(want).all(|(t, w)| text(t) == w)
}

fn text(t: &Token) -> String {
    match &t.tok {
        Tok::Ident(s) => s.clone(),
        Tok::PathSep => "::".into(),
        Tok::Punct(c) => c.to_string(),
    }
}

struct Stripped {
    tokens: Vec<Token>,
    /// Child modules declared `#[cfg(test)] mod x;`.
    test_children: Vec<String>,
}

/// The tokens with every `#[cfg(test)]` item left out.
fn strip_tests(tokens: &[Token]) -> Stripped {
    let cfg_test = ["#", "[", "cfg", "(", "test", ")", "]"];
    let mut out = Stripped {
        tokens: Vec::new(),
        test_children: Vec::new(),
    };
    let mut i = 0;
    while i < tokens.len() {
        let is_cfg_test = tokens.len() - i >= cfg_test.len()
            && tokens[i..].iter().zip(cfg_test).all(|(t, w)| text(t) == w);
        if !is_cfg_test {
            out.tokens.push(tokens[i].clone());
            i += 1;
            continue;
        }
        i += cfg_test.len();
        // Further attributes on the same item.
        while i + 1 < tokens.len() && tokens[i].is_punct('#') && tokens[i + 1].is_punct('[') {
            i = past_group(tokens, i + 1);
        }
        // `mod x;`, after any visibility.
        let mut j = i;
        if tokens.get(j).is_some_and(|t| t.is_ident("pub")) {
            j += 1;
            if tokens.get(j).is_some_and(|t| t.is_punct('(')) {
                j = past_group(tokens, j);
            }
        }
        if let (Some(m), Some(Tok::Ident(name)), Some(semi)) = (
            tokens.get(j),
            tokens.get(j + 1).map(|t| &t.tok),
            tokens.get(j + 2),
        ) {
            if m.is_ident("mod") && semi.is_punct(';') {
                out.test_children.push(name.clone());
            }
        }
        i = past_item(tokens, i);
    }
    out
}

/// Past the group opening at `open` (`(`, `[` or `{`) and its close.
fn past_group(tokens: &[Token], open: usize) -> usize {
    let mut depth = 0usize;
    let mut i = open;
    while i < tokens.len() {
        match &tokens[i].tok {
            Tok::Punct('(' | '[' | '{') => depth += 1,
            Tok::Punct(')' | ']' | '}') => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    i
}

/// Past one item, statement, field or arm starting at `i`: its `;` or `,`,
/// or the close of its body; never past the close of what holds it.
fn past_item(tokens: &[Token], mut i: usize) -> usize {
    let mut depth = 0usize;
    while i < tokens.len() {
        match &tokens[i].tok {
            Tok::Punct('(' | '[' | '{') => depth += 1,
            Tok::Punct(c @ (')' | ']' | '}')) => {
                if depth == 0 {
                    return i;
                }
                depth -= 1;
                if depth == 0 && *c == '}' {
                    return i + 1;
                }
            }
            Tok::Punct(';' | ',') if depth == 0 => return i + 1,
            _ => {}
        }
        i += 1;
    }
    i
}

/// One leaf of a `use` tree.
#[derive(Debug, PartialEq)]
struct Use {
    segments: Vec<String>,
    /// The name it brings in (its alias, or its last segment).
    name: String,
    glob: bool,
    public: bool,
    line: usize,
}

/// Every leaf of every `use` declaration.
fn uses(tokens: &[Token]) -> Vec<Use> {
    let mut out = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        if !t.is_ident("use") {
            continue;
        }
        let public = match i.checked_sub(1).map(|p| &tokens[p]) {
            Some(p) if p.is_ident("pub") => true,
            Some(p) if p.is_punct(')') => {
                // `pub(crate) use`: back to the `(`, then `pub` before it.
                let open = tokens[..i].iter().rposition(|t| t.is_punct('('));
                open.and_then(|o| o.checked_sub(1))
                    .is_some_and(|o| tokens[o].is_ident("pub"))
            }
            _ => false,
        };
        let mut at = i + 1;
        // `use ::x` names another crate.
        if tokens.get(at).is_some_and(|t| t.tok == Tok::PathSep) {
            continue;
        }
        use_tree(tokens, &mut at, Vec::new(), public, &mut out);
    }
    out
}

fn use_tree(
    tokens: &[Token],
    at: &mut usize,
    mut prefix: Vec<String>,
    public: bool,
    out: &mut Vec<Use>,
) {
    while let Some(t) = tokens.get(*at) {
        match &t.tok {
            Tok::Ident(name) => {
                prefix.push(name.clone());
                *at += 1;
                match tokens.get(*at).map(|t| &t.tok) {
                    Some(Tok::PathSep) => {
                        *at += 1;
                        continue;
                    }
                    Some(Tok::Ident(kw)) if kw == "as" => {
                        let alias = tokens.get(*at + 1).map(text).unwrap_or_default();
                        *at += 2;
                        out.push(leaf(prefix, Some(alias), false, public, t.line));
                    }
                    _ => out.push(leaf(prefix, None, false, public, t.line)),
                }
                return;
            }
            Tok::Punct('*') => {
                *at += 1;
                out.push(leaf(prefix, None, true, public, t.line));
                return;
            }
            Tok::Punct('{') => {
                *at += 1;
                while let Some(t) = tokens.get(*at) {
                    if t.is_punct('}') {
                        *at += 1;
                        break;
                    }
                    if t.is_punct(',') {
                        *at += 1;
                        continue;
                    }
                    let before = *at;
                    use_tree(tokens, at, prefix.clone(), public, out);
                    if *at == before {
                        *at += 1;
                    }
                }
                return;
            }
            _ => return,
        }
    }
}

fn leaf(
    mut segments: Vec<String>,
    alias: Option<String>,
    glob: bool,
    public: bool,
    line: usize,
) -> Use {
    // `a::{self}` is `a`.
    if segments.len() > 1 && segments.last().is_some_and(|s| s == "self") {
        segments.pop();
    }
    let name = alias.unwrap_or_else(|| segments.last().cloned().unwrap_or_default());
    Use {
        segments,
        name,
        glob,
        public,
        line,
    }
}

/// Paths outside `use` declarations: `a::b::c` not preceded by `::`, with
/// their line. Which of them name this crate is for [`Graph::absolute`].
fn code_paths(tokens: &[Token]) -> Vec<(Vec<String>, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        if tokens[i].is_ident("use") {
            while i < tokens.len() && !tokens[i].is_punct(';') {
                i += 1;
            }
            continue;
        }
        let starts = matches!(tokens[i].tok, Tok::Ident(_))
            && i.checked_sub(1)
                .is_none_or(|p| tokens[p].tok != Tok::PathSep)
            && tokens.get(i + 1).is_some_and(|t| t.tok == Tok::PathSep);
        if !starts {
            i += 1;
            continue;
        }
        let line = tokens[i].line;
        let mut segments = Vec::new();
        while let Some(Tok::Ident(name)) = tokens.get(i).map(|t| &t.tok) {
            segments.push(name.clone());
            i += 1;
            if tokens.get(i).is_some_and(|t| t.tok == Tok::PathSep) {
                i += 1;
            } else {
                break;
            }
        }
        out.push((segments, line));
    }
    out
}

fn crate_src(name: &str) -> PathBuf {
    crate::proc::root().join("crates").join(name).join("src")
}

/// A layer of a crate's top-level modules, and the layers it may import.
pub struct Layer {
    /// Top-level module names (a file `x.rs` or a folder `x/`); empty for
    /// the layer that takes every module no other layer names.
    pub modules: &'static [&'static str],
    pub may_import: &'static [usize],
}

/// The hub's layers, lowest first (issue 16): errors; the pure rules; the
/// storage traits; the two stores side by side, neither seeing the other;
/// the staff accounts' service over the traits; the test support (which
/// builds a PostgreSQL store, and only in tests or with the `testing`
/// feature); and everything else at the top (`web`, `uplink`, `demo`, …),
/// which uses the stores only through the traits and not each other.
/// `lib.rs` and `main.rs`, which choose a store, are no module of the graph.
const HUB_LAYERS: &[Layer] = &[
    Layer {
        modules: &["error"],
        may_import: &[],
    },
    Layer {
        modules: &["rules"],
        may_import: &[0],
    },
    Layer {
        modules: &["storage"],
        may_import: &[0, 1],
    },
    Layer {
        modules: &["sqlite", "pg"],
        may_import: &[0, 1, 2],
    },
    Layer {
        modules: &["staff"],
        may_import: &[0, 1, 2],
    },
    Layer {
        modules: &["testing"],
        may_import: &[0, 1, 2, 3],
    },
    Layer {
        modules: &[],
        may_import: &[0, 1, 2, 4],
    },
];

fn check_crate(name: &str, layers: Option<&[Layer]>) {
    let graph = Graph::read(&crate_src(name)).unwrap_or_else(|e| panic!("{e}"));
    // A scanner that stopped seeing imports would pass every check.
    assert!(
        graph.module_count() >= 5 && graph.edge_count() >= 5,
        "crates/{name}: only {} modules and {} imports found; is the scanner reading the sources?",
        graph.module_count(),
        graph.edge_count()
    );
    let mut problems = graph.circles();
    if let Some(layers) = layers {
        problems.extend(graph.layer_breaches(layers));
    }
    assert!(
        problems.is_empty(),
        "crates/{name}/src:\n  {}",
        problems.join("\n  ")
    );
}

#[test]
fn core_modules_import_no_circles() {
    check_crate("core", None);
}

#[test]
fn hub_modules_import_no_circles_and_only_down_their_layers() {
    check_crate("hub", Some(HUB_LAYERS));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(files: &[(&str, &str)]) -> Graph {
        Graph::from_sources(
            files
                .iter()
                .map(|(p, s)| (PathBuf::from(p), s.to_string()))
                .collect(),
        )
    }

    fn edges(g: &Graph) -> Vec<String> {
        let mut out: Vec<String> = g
            .edges
            .iter()
            .flat_map(|(from, es)| {
                es.iter()
                    .map(move |e| format!("{} → {}", show(from), show(&e.to)))
            })
            .collect();
        out.sort();
        out.dedup();
        out
    }

    #[test]
    fn a_circle_through_three_modules_is_found_and_a_chain_is_not() {
        let chain = [
            ("lib.rs", "pub mod a; pub mod b; pub mod c; pub mod d;"),
            ("a.rs", "use crate::b::B;"),
            ("b.rs", "fn f() { crate::c::go() }"),
            ("c.rs", "pub fn go() {}"),
            ("d.rs", "use super::a::A;"),
        ];
        assert_eq!(graph(&chain).circles(), Vec::<String>::new());
        let mut circle = chain;
        circle[3] = ("c.rs", "use crate::a;\npub fn go() { a::A::new(); }");
        let found = graph(&circle).circles();
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].starts_with("3 modules import each other: a, b, c"),
            "{}",
            found[0]
        );
        assert!(
            found[0].contains("c → a  (c.rs:1 `crate::a`)"),
            "{}",
            found[0]
        );
    }

    #[test]
    fn comments_strings_tests_and_mod_declarations_are_not_imports() {
        let g = graph(&[
            ("lib.rs", "pub mod a; pub mod b; #[cfg(test)] mod helper;"),
            (
                "a.rs",
                r##"//! See [`crate::b`].
mod inner_file;
/* crate::b::X */
const S: &str = "crate::b::X";
const R: &str = r#"crate::b::"#;
const C: char = '"';
fn f<'a>(x: &'a str) -> &'a str { x }
#[cfg(test)]
mod tests { use crate::b::X; }
#[cfg(test)]
use crate::b::Y;
"##,
            ),
            ("a/inner_file.rs", ""),
            ("b.rs", "use crate::a::A;"),
            ("helper.rs", "use crate::a::A; use crate::b::B;"),
            ("b_tests.rs", "use crate::a::A;"),
            ("x_tests/mod.rs", "use crate::b::B;"),
        ]);
        assert_eq!(edges(&g), vec!["b → a"]);
    }

    #[test]
    fn use_trees_re_exports_and_super_are_followed_to_the_defining_module() {
        let g = graph(&[
            ("lib.rs", "pub mod err; pub mod sync; pub mod store;\npub use err::Error;"),
            ("err.rs", "pub struct Error;"),
            // The folder presents its children: no import of them.
            ("sync/mod.rs", "pub mod run; pub mod wire;\npub use run::{go as run_go, Run};\npub use wire::*;\npub struct SyncError;"),
            ("sync/run.rs", "use super::{wire::{self, Msg}, SyncError};\nuse crate::Error;"),
            ("sync/wire.rs", "use crate::sync::SyncError;"),
            ("store.rs", "use crate::{sync::{run_go, Run}, Error};\nfn f() -> crate::sync::SyncError { todo!() }"),
        ]);
        assert_eq!(
            edges(&g),
            vec![
                "store → err",
                "store → sync",
                "store → sync::run",
                "sync::run → err",
                "sync::run → sync",
                "sync::run → sync::wire",
                "sync::wire → sync",
            ]
        );
        assert!(g.circles().is_empty());
    }

    #[test]
    fn a_folder_that_uses_its_child_which_uses_it_back_is_a_circle() {
        let g = graph(&[
            ("lib.rs", "pub mod f;"),
            ("f/mod.rs", "mod g;\nfn h() { g::helper() }\npub struct F;"),
            ("f/g.rs", "use super::F;\npub fn helper() {}"),
        ]);
        let found = g.circles();
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("f, f::g"), "{}", found[0]);
    }

    #[test]
    fn imports_must_point_down_the_layers_or_stay_in_their_folder() {
        let g = graph(&[
            ("lib.rs", "pub mod error; pub mod rules; pub mod storage; pub mod sqlite; pub mod pg; pub mod web; pub mod demo;"),
            ("main.rs", "use pcmt_hub::web; fn main() { crate::web::serve() }"),
            ("error.rs", ""),
            ("rules/mod.rs", "pub mod enrol; use crate::error::E;"),
            ("rules/enrol.rs", "use super::R; use crate::error::E;"),
            ("storage.rs", "use crate::rules::R;"),
            ("sqlite/mod.rs", "mod store; use crate::storage::S; use crate::pg::Pool;"),
            ("sqlite/store.rs", "use super::Db; use crate::rules::enrol::Code;"),
            ("pg/mod.rs", "use crate::storage::S;"),
            ("web/mod.rs", "mod routes; use crate::storage::S;"),
            ("web/routes.rs", "use super::App; use crate::sqlite::HubStore;"),
            ("demo.rs", "use crate::web::App; use crate::storage::S;"),
        ]);
        let breaches = g.layer_breaches(HUB_LAYERS);
        assert_eq!(breaches.len(), 3, "{breaches:#?}");
        assert!(
            breaches[0].starts_with("demo (layer 6) imports web (layer 6)"),
            "{}",
            breaches[0]
        );
        assert!(
            breaches[1].starts_with("sqlite (layer 3) imports pg (layer 3)"),
            "{}",
            breaches[1]
        );
        assert!(
            breaches[2].starts_with("web::routes (layer 6) imports sqlite (layer 3)"),
            "{}",
            breaches[2]
        );
        assert!(
            breaches[2].ends_with("web/routes.rs:1 `crate::sqlite::HubStore`"),
            "{}",
            breaches[2]
        );
    }
}
