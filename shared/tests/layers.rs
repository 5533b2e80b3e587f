//! The layer rule of `shared/src/lib.rs` (and `ARCHITECTURE.md`), checked on the source.
//!
//! Every module of the crate is placed in one layer by [`LAYERS`]; a module may import from its
//! own layer and the layers below it, never from a layer above, and no use case imports another
//! (what two use cases share lives a layer down). The top-level modules (the
//! rooms: `events`, `store`, `clients`, `notify`, …) must not import each other in a cycle;
//! inside one room a submodule and its parent may refer to each other (a parent re-exports its
//! children, a child uses its parent's types), the layers still apply.
//!
//! The check reads every `shared/src/**/*.rs`, takes each `use` tree and each `crate::…` /
//! `super::…` path in the code (comments, strings and test modules left out), resolves it to the
//! module it names (the longest known module prefix), and reports the file, line and import
//! of every offence. A new module must be added to [`LAYERS`]: an unplaced module fails too.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed read is a failed test

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

/// The layers, lowest first. A module may import from its own layer and those below.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Layer {
    /// Validated ids, statuses, observations, decisions: types and their invariants.
    Model,
    /// Pure rules: parsing, reconcile, the poller's observe, the policy, incidents, renderers.
    Pure,
    /// I/O: the DynamoDB store, the clients room, SDK configuration, Lambda glue, telemetry,
    /// reading the environment.
    Shell,
    /// The use cases, joining pure rules and the shell: record, poll, notify, resolve. They
    /// meet only through the layers below: no use case imports another.
    UseCase,
    /// The crate root's re-exports, for the functions and the CLI only.
    Root,
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Layer::Model => "model",
            Layer::Pure => "pure logic",
            Layer::Shell => "shell",
            Layer::UseCase => "use case",
            Layer::Root => "crate root",
        })
    }
}

/// Where each module lives. `room::*` places a room and all its submodules; otherwise the entry
/// is one module (a `mod.rs` counts as its directory's module). The most specific entry wins.
const LAYERS: &[(&str, Layer)] = &[
    ("crate", Layer::Root),
    // Model
    ("ids", Layer::Model),
    ("status", Layer::Model),
    ("string_enum", Layer::Model),
    ("observation", Layer::Model),
    ("decision", Layer::Model),
    ("text", Layer::Model),
    ("globs", Layer::Model),
    // Pure logic
    ("events::*", Layer::Pure),
    ("reconcile", Layer::Pure),
    ("observe", Layer::Pure),
    ("poll::targets", Layer::Pure),
    ("resolve::policy", Layer::Pure),
    ("notify::incident", Layer::Pure),
    ("notify::notice", Layer::Pure),
    ("notify::routing", Layer::Pure),
    ("notify::slack", Layer::Pure),
    ("notify::sns", Layer::Pure),
    // Shell
    ("store::*", Layer::Shell),
    ("clients::*", Layer::Shell),
    ("aws", Layer::Shell),
    ("lambda", Layer::Shell),
    ("telemetry", Layer::Shell),
    ("config", Layer::Shell),
    // Use cases
    ("recorder", Layer::UseCase),
    ("poll", Layer::UseCase),
    ("poll::run", Layer::UseCase),
    ("notify", Layer::UseCase),
    ("notify::deliver", Layer::UseCase),
    ("notify::stream", Layer::UseCase),
    ("resolve", Layer::UseCase),
    ("resolve::action", Layer::UseCase),
];

/// Imports between rooms that close a cycle and are known, each with a comment saying who
/// removes it. Keep this empty: an entry is a debt, not a permission. (The last one, store →
/// notify for the stored incident, went with the store split by record kind.)
const KNOWN_CYCLE_EDGES: &[(&str, &str)] = &[];

type Module = Vec<String>;

fn name(module: &[String]) -> String {
    if module.is_empty() { "crate".to_owned() } else { module.join("::") }
}

fn layer_of(module: &[String]) -> Option<Layer> {
    let full = name(module);
    if let Some((_, layer)) = LAYERS.iter().find(|(entry, _)| *entry == full) {
        return Some(*layer);
    }
    LAYERS
        .iter()
        .filter_map(|(entry, layer)| {
            let room = entry.strip_suffix("::*")?;
            (full == room || full.starts_with(&format!("{room}::"))).then_some((room.len(), *layer))
        })
        .max_by_key(|(len, _)| *len)
        .map(|(_, layer)| layer)
}

/// A source file and the module it is.
struct Source {
    path: PathBuf,
    module: Module,
    text: String,
}

fn sources(root: &Path) -> Vec<Source> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.expect("a directory entry").path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let mut paths = Vec::new();
    walk(root, &mut paths);
    paths
        .into_iter()
        .map(|path| {
            let relative = path.strip_prefix(root).expect("under src");
            let mut module: Module =
                relative.iter().map(|part| part.to_string_lossy().into_owned()).collect();
            let file = module.pop().expect("a file name");
            match file.as_str() {
                "lib.rs" | "mod.rs" => {}
                other => module.push(other.trim_end_matches(".rs").to_owned()),
            }
            let text = std::fs::read_to_string(&path).expect("readable source");
            Source { path, module, text }
        })
        // `#[cfg(test)] mod tests;` files: a test may use whatever it needs.
        .filter(|source| source.module.last().is_none_or(|last| last != "tests"))
        .collect()
}

/// The code without comments, string and char literals (blanked to spaces, newlines kept, so
/// offsets keep their line numbers), cut where an inline `#[cfg(test)] mod tests` starts.
fn code_of(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(chars[i]));
                    i += 1;
                }
            }
        } else if c == 'r'
            && (next == Some('"') || next == Some('#'))
            && !chars.get(i.wrapping_sub(1)).is_some_and(|p| p.is_alphanumeric() || *p == '_')
        {
            // A raw string: r"…", r#"…"#, …
            let mut j = i + 1;
            let mut hashes = 0;
            while chars.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if chars.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            let closing: String =
                std::iter::once('"').chain(std::iter::repeat_n('#', hashes)).collect();
            let rest: String = chars[j + 1..].iter().collect();
            let len = rest.find(&closing).map_or(rest.len(), |end| end + closing.len());
            let end = j + 1 + rest[..len].chars().count();
            for &ch in &chars[i..end.min(chars.len())] {
                out.push(blank(ch));
            }
            i = end;
        } else if c == '"' {
            out.push(' ');
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    out.push(' ');
                    i += 1;
                }
                if i < chars.len() {
                    out.push(blank(chars[i]));
                    i += 1;
                }
            }
            out.push(' ');
            i += 1;
        } else if c == '\'' && next == Some('\\') {
            // An escaped char literal: '\n', '\'', '\u{…}'.
            out.push_str("   ");
            i += 3;
            while i < chars.len() && chars[i] != '\'' {
                out.push(' ');
                i += 1;
            }
            out.push(' ');
            i += 1;
        } else if c == '\'' && chars.get(i + 2) == Some(&'\'') {
            out.push_str("   ");
            i += 3;
        } else {
            out.push(c);
            i += 1;
        }
    }
    // Inline unit tests, like `tests.rs` files, may use whatever they need.
    let mut cut = out.len();
    let mut search = 0;
    while let Some(at) = out[search..].find("#[cfg(test)]") {
        let at = search + at;
        let after = out[at + "#[cfg(test)]".len()..].trim_start();
        if after.starts_with("mod tests") {
            cut = at;
            break;
        }
        search = at + 1;
    }
    out.truncate(cut);
    out
}

/// One import as written, and the line it is on.
#[derive(Debug, Clone)]
struct Import {
    line: usize,
    path: Vec<String>,
}

impl Import {
    fn written(&self) -> String {
        self.path.join("::")
    }
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Tokens of a `use` tree: identifiers, `::`, braces, commas, `*`.
fn tokens(tree: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let chars: Vec<char> = tree.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == ':' && chars.get(i + 1) == Some(&':') {
            tokens.push("::".to_owned());
            i += 2;
        } else if is_ident(c) {
            let start = i;
            while i < chars.len() && is_ident(chars[i]) {
                i += 1;
            }
            tokens.push(chars[start..i].iter().collect());
        } else {
            tokens.push(c.to_string());
            i += 1;
        }
    }
    tokens
}

/// Expands a `use` tree into its leaf paths (`a::{b, c::d}` → `a::b`, `a::c::d`); `self` in a
/// group names the group's prefix, a glob its prefix, `as` renames are dropped.
fn expand(tokens: &[String], pos: &mut usize, prefix: &[String], out: &mut Vec<Vec<String>>) {
    let mut path = prefix.to_vec();
    loop {
        match tokens.get(*pos).map(String::as_str) {
            Some("{") => {
                *pos += 1;
                loop {
                    match tokens.get(*pos).map(String::as_str) {
                        Some("}") => {
                            *pos += 1;
                            break;
                        }
                        Some(",") => *pos += 1,
                        None => return,
                        _ => expand(tokens, pos, &path, out),
                    }
                }
                return;
            }
            Some("*") => {
                *pos += 1;
                out.push(path);
                return;
            }
            Some("self") if !path.is_empty() => {
                *pos += 1;
            }
            Some("::") => *pos += 1,
            Some("as") => {
                *pos += 2;
            }
            Some("," | "}") | None => {
                out.push(path);
                return;
            }
            Some(ident) => {
                path.push(ident.to_owned());
                *pos += 1;
            }
        }
    }
}

fn line_at(code: &str, offset: usize) -> usize {
    code[..offset].matches('\n').count() + 1
}

/// Every `use` tree and every `crate::`/`super::` path in the rest of the code.
fn imports(code: &str) -> Vec<Import> {
    let starts_word =
        |text: &str, at: usize| at == 0 || !text[..at].chars().next_back().is_some_and(is_ident);
    let mut found = Vec::new();
    // The code outside `use` statements, for the paths written inline.
    let mut rest = code.to_owned();
    let mut search = 0;
    while let Some(at) = code[search..].find("use ") {
        let at = search + at;
        search = at + 4;
        if !starts_word(code, at) {
            continue;
        }
        let Some(end) = code[at..].find(';') else { break };
        let mut paths = Vec::new();
        expand(&tokens(&code[at + 4..at + end]), &mut 0, &[], &mut paths);
        let line = line_at(code, at);
        found.extend(paths.into_iter().map(|path| Import { line, path }));
        let blanked: String =
            code[at..at + end].chars().map(|c| if c == '\n' { c } else { ' ' }).collect();
        rest.replace_range(at..at + end, &blanked);
    }
    for root in ["crate::", "super::"] {
        let mut search = 0;
        while let Some(at) = rest[search..].find(root) {
            let at = search + at;
            search = at + root.len();
            if !starts_word(&rest, at) {
                continue;
            }
            let mut end = at;
            loop {
                if rest[end..].starts_with("::") {
                    end += 2;
                    continue;
                }
                match rest[end..].chars().next() {
                    Some(c) if is_ident(c) => end += c.len_utf8(),
                    _ => break,
                }
            }
            let path = rest[at..end]
                .split("::")
                .filter(|part| !part.is_empty())
                .map(str::to_owned)
                .collect();
            found.push(Import { line: line_at(&rest, at), path });
        }
    }
    found
}

/// The module an import names, if it is one of this crate's: the longest known prefix.
fn resolve(from: &[String], path: &[String], modules: &BTreeSet<Module>) -> Option<Module> {
    let (mut base, rest): (Module, &[String]) = match path.first().map(String::as_str) {
        Some("crate") => (Vec::new(), &path[1..]),
        Some("self") => (from.to_vec(), &path[1..]),
        Some("super") => {
            let mut base = from.to_vec();
            let mut rest = path;
            while rest.first().is_some_and(|s| s == "super") {
                base.pop()?;
                rest = &rest[1..];
            }
            (base, rest)
        }
        Some(first) => {
            let mut child = from.to_vec();
            child.push(first.to_owned());
            if !modules.contains(&child) {
                return None; // std, a dependency, or a local item
            }
            (from.to_vec(), path)
        }
        None => return None,
    };
    for segment in rest {
        let mut next = base.clone();
        next.push(segment.clone());
        if !modules.contains(&next) {
            break;
        }
        base = next;
    }
    Some(base)
}

struct Edge {
    from: Module,
    to: Module,
    file: PathBuf,
    import: Import,
}

fn edges() -> (BTreeSet<Module>, Vec<Edge>) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let sources = sources(&root);
    let modules: BTreeSet<Module> = sources.iter().map(|s| s.module.clone()).collect();
    let mut edges = Vec::new();
    for source in &sources {
        let code = code_of(&source.text);
        for import in imports(&code) {
            let Some(to) = resolve(&source.module, &import.path, &modules) else { continue };
            if to == source.module {
                continue;
            }
            let workspace = root.parent().and_then(Path::parent).expect("the workspace");
            let file = source.path.strip_prefix(workspace).expect("under the workspace");
            edges.push(Edge { from: source.module.clone(), to, file: file.to_owned(), import });
        }
    }
    (modules, edges)
}

#[test]
fn every_module_has_a_layer() {
    let (modules, _) = edges();
    let unplaced: Vec<String> =
        modules.iter().filter(|m| layer_of(m).is_none()).map(|m| name(m)).collect();
    assert!(
        unplaced.is_empty(),
        "modules without a layer (add them to LAYERS in shared/tests/layers.rs and to the rule in \
         shared/src/lib.rs): {unplaced:?}"
    );
}

#[test]
fn no_module_imports_from_a_layer_above_it() {
    let (_, edges) = edges();
    let mut offences = Vec::new();
    for edge in &edges {
        let (Some(from), Some(to)) = (layer_of(&edge.from), layer_of(&edge.to)) else { continue };
        if to > from {
            offences.push(format!(
                "{}:{}: `{}` — {} ({from}) imports {} ({to})",
                edge.file.display(),
                edge.import.line,
                edge.import.written(),
                name(&edge.from),
                name(&edge.to),
            ));
        }
    }
    assert!(
        offences.is_empty(),
        "upward imports (the layer rule is in shared/src/lib.rs):\n{}",
        offences.join("\n")
    );
}

#[test]
fn no_use_case_imports_another() {
    let (_, edges) = edges();
    let offences: Vec<String> = edges
        .iter()
        .filter(|e| {
            layer_of(&e.from) == Some(Layer::UseCase) && layer_of(&e.to) == Some(Layer::UseCase)
        })
        .filter(|e| e.from.first() != e.to.first())
        .map(|e| {
            format!(
                "{}:{}: `{}` — {} imports {}; move what they share down a layer",
                e.file.display(),
                e.import.line,
                e.import.written(),
                name(&e.from),
                name(&e.to)
            )
        })
        .collect();
    assert!(offences.is_empty(), "use cases importing each other:\n{}", offences.join("\n"));
}

#[test]
fn the_rooms_import_each_other_without_cycles() {
    let (_, edges) = edges();
    // Room → room, with the first import that makes each edge, known debts left out.
    let mut graph: BTreeMap<String, BTreeMap<String, &Edge>> = BTreeMap::new();
    for edge in &edges {
        let (Some(from), Some(to)) = (edge.from.first(), edge.to.first()) else { continue };
        if from == to || KNOWN_CYCLE_EDGES.contains(&(from.as_str(), to.as_str())) {
            continue;
        }
        graph.entry(from.clone()).or_default().entry(to.clone()).or_insert(edge);
    }
    // Depth-first search; a grey node met again closes a cycle.
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Grey,
        Black,
    }
    fn visit<'a>(
        room: &'a str,
        graph: &'a BTreeMap<String, BTreeMap<String, &Edge>>,
        marks: &mut BTreeMap<&'a str, Mark>,
        stack: &mut Vec<&'a str>,
        cycles: &mut Vec<Vec<String>>,
    ) {
        marks.insert(room, Mark::Grey);
        stack.push(room);
        for next in graph.get(room).into_iter().flat_map(|n| n.keys()) {
            match marks.get(next.as_str()) {
                Some(Mark::Grey) => {
                    let start = stack.iter().position(|r| *r == next).expect("on the stack");
                    let mut cycle: Vec<String> =
                        stack[start..].iter().map(|r| r.to_string()).collect();
                    cycle.push(next.clone());
                    cycles.push(cycle);
                }
                Some(Mark::Black) => {}
                None => visit(next, graph, marks, stack, cycles),
            }
        }
        stack.pop();
        marks.insert(room, Mark::Black);
    }
    let mut marks = BTreeMap::new();
    let mut cycles = Vec::new();
    for room in graph.keys() {
        if !marks.contains_key(room.as_str()) {
            visit(room, &graph, &mut marks, &mut Vec::new(), &mut cycles);
        }
    }
    let report: Vec<String> = cycles
        .iter()
        .map(|cycle| {
            let steps: Vec<String> = cycle
                .windows(2)
                .map(|pair| {
                    let edge = graph[&pair[0]][&pair[1]];
                    format!(
                        "  {} → {}: {}:{}: `{}`",
                        pair[0],
                        pair[1],
                        edge.file.display(),
                        edge.import.line,
                        edge.import.written()
                    )
                })
                .collect();
            format!("{}\n{}", cycle.join(" → "), steps.join("\n"))
        })
        .collect();
    assert!(report.is_empty(), "import cycles between rooms:\n{}", report.join("\n"));
}

#[test]
fn the_known_cycle_edges_still_exist() {
    // An entry whose import is gone must go too, so the list cannot hide a new cycle later.
    let (_, edges) = edges();
    for (from, to) in KNOWN_CYCLE_EDGES {
        assert!(
            edges.iter().any(|e| e.from.first().map(String::as_str) == Some(from)
                && e.to.first().map(String::as_str) == Some(to)),
            "{from} no longer imports {to}: remove ({from:?}, {to:?}) from KNOWN_CYCLE_EDGES"
        );
    }
}

/// The checker itself: a planted upward import and a planted cycle are caught and named.
#[test]
fn the_checker_sees_use_trees_paths_and_cycles() {
    let code = code_of(
        "use super::{incident::{self, Incident}, notice::Notice as N};\n\
         // use crate::poll::ApiError;\n\
         let s = \"crate::store::x\";\n\
         fn f() { crate::clients::slack::check_url(x); }\n\
         #[cfg(test)]\nmod tests { use crate::poll::run; }\n",
    );
    let found: Vec<(usize, String)> =
        imports(&code).iter().map(|i| (i.line, i.written())).collect();
    assert_eq!(
        found,
        [
            (1, "super::incident".to_owned()),
            (1, "super::incident::Incident".to_owned()),
            (1, "super::notice::Notice".to_owned()),
            (4, "crate::clients::slack::check_url".to_owned()),
        ]
    );
    let modules: BTreeSet<Module> = [
        vec![],
        vec!["notify".to_owned()],
        vec!["notify".to_owned(), "incident".to_owned()],
        vec!["notify".to_owned(), "deliver".to_owned()],
        vec!["clients".to_owned()],
        vec!["clients".to_owned(), "slack".to_owned()],
    ]
    .into_iter()
    .collect();
    let from = vec!["notify".to_owned(), "deliver".to_owned()];
    let to = |path: &str| {
        let path: Vec<String> = path.split("::").map(str::to_owned).collect();
        resolve(&from, &path, &modules).map(|m| name(&m))
    };
    assert_eq!(to("super::incident::Incident").as_deref(), Some("notify::incident"));
    assert_eq!(to("crate::clients::slack::check_url").as_deref(), Some("clients::slack"));
    assert_eq!(to("crate::clients::ApiError").as_deref(), Some("clients"));
    assert_eq!(to("chrono::Duration"), None);
    assert!(layer_of(&["notify".into(), "incident".into()]) < layer_of(&["notify".into()]));
    assert_eq!(layer_of(&["store".into(), "anything".into()]), Some(Layer::Shell));
    assert_eq!(layer_of(&["nowhere".into()]), None);
}
