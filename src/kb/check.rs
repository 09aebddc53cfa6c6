//! `kb check`: parse every file of a knowledge base and report every problem, each with
//! file:line:column and the field path, so a maintainer can fix a whole batch in one pass.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::ops::Range;

use chrono::{Datelike, NaiveDate, Weekday};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use toml::de::{DeTable, DeValue};

use super::drills::{CHECKED_FIELDS, Drill, ExpectedDecision};
use super::forms::{FieldKind, Form, from_key};
use super::model::{CalendarYear, Item, KbMeta, Necessity};
use super::source::{KbFile, KbSource};
use super::terms::{ApplicantKind, MaterialState};

/// One problem found in a knowledge-base file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    /// File path as shown to the user (KB label + relative path).
    pub file: String,
    /// 1-based line; 0 when the problem concerns the whole knowledge base.
    pub line: usize,
    /// 1-based column in characters.
    pub column: usize,
    /// Field path within the file, e.g. `materials[2].when`; empty for syntax errors.
    pub field: String,
    /// What is wrong, in Chinese.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)?;
        if !self.field.is_empty() {
            write!(f, ": {}", self.field)?;
        }
        write!(f, ": {}", self.message)
    }
}

/// The parsed content of a knowledge base, before it is assembled into a [`super::Kb`].
#[derive(Debug, Default)]
pub struct Parsed {
    /// `kb.toml`, if it parsed.
    pub meta: Option<KbMeta>,
    /// Items that parsed, with their file paths.
    pub items: Vec<(String, Item)>,
    /// Calendar years that parsed.
    pub calendars: Vec<CalendarYear>,
    /// Agency forms that parsed, with their file paths.
    pub forms: Vec<(String, Form)>,
    /// Drill scenarios that parsed, with their file paths.
    pub drills: Vec<(String, Drill)>,
    /// Bundles (一件事) that parsed, with their file paths.
    pub bundles: Vec<(String, super::bundle::Bundle)>,
    /// What each draft item (`status = "draft"`, written by `kb import`) lacks before it can be
    /// reviewed, one entry per gap with file and line. Not problems of the files: a KB with drafts
    /// loads (the desk shows them marked 待审核 and refuses intake on them), but `kb check` fails
    /// on them unless `--drafts`, and HQ never publishes them.
    pub review_gaps: Vec<Problem>,
}

impl Parsed {
    /// How many items are drafts.
    pub fn drafts(&self) -> usize {
        self.items.iter().filter(|(_, item)| item.is_draft()).count()
    }
}

/// Parses and checks every file; returns what parsed and every problem found.
pub fn check(source: &KbSource) -> (Parsed, Vec<Problem>) {
    let mut parsed = Parsed::default();
    let mut problems = Vec::new();
    let mut codes: HashMap<String, String> = HashMap::new();
    // Stand-in paths of items, forms and drills, for their second pass.
    let mut later: HashMap<String, Vec<String>> = HashMap::new();
    let library = read_library(source, &mut problems);
    let mut clean = clean_files(source, &library);
    for (index, file) in source.files.iter().enumerate() {
        let mut report = Reporter {
            source,
            file,
            problems: &mut problems,
            doc: None,
            placeholders: Vec::new(),
            gaps: None,
        };
        let dir = file.path.split('/').next().unwrap_or("");
        match (dir, file.path.as_str()) {
            (_, "kb.toml") => parsed.meta = report.parse::<KbMeta>(),
            // Shared materials: read before the items that use them (below).
            ("materials", _) => {}
            ("items", _) => {
                let item = match clean[index].take() {
                    Some(Clean::Item(item)) => Some(*item),
                    _ => report.parse_item(&library),
                };
                if let Some(item) = item {
                    check_item(&mut report, &item);
                    super::check_situations::check_situations(&mut report, &item);
                    super::elements::check_elements(&mut report, &item);
                    super::commitment::check_commitment(&mut report, &item);
                    later.insert(file.path.clone(), report.placeholders.clone());
                    parsed.review_gaps.extend(report.gaps.take().unwrap_or_default());
                    if !report.suppressed("code")
                        && let Some(first) = codes.insert(item.code.clone(), file.path.clone())
                    {
                        report.at(&["code"], format!("事项编码 {} 重复，已在 {} 中使用", item.code, first));
                    }
                    parsed.items.push((file.path.clone(), item));
                }
            }
            ("calendar", _) => {
                if let Some(year) = report.parse::<CalendarYear>() {
                    check_calendar(&mut report, &year);
                    parsed.calendars.push(year);
                }
            }
            // Forms and drills refer to items: checked below, once every item is known.
            ("forms", _) => {
                let form = match clean[index].take() {
                    Some(Clean::Form(form)) => Some(*form),
                    _ => report.parse::<Form>(),
                };
                if let Some(form) = form {
                    parsed.forms.push((file.path.clone(), form));
                    later.insert(file.path.clone(), report.placeholders.clone());
                }
            }
            ("drills", _) => {
                let drill = match clean[index].take() {
                    Some(Clean::Drill(drill)) => Some(*drill),
                    _ => report.parse::<Drill>(),
                };
                if let Some(drill) = drill {
                    parsed.drills.push((file.path.clone(), drill));
                    later.insert(file.path.clone(), report.placeholders.clone());
                }
            }
            ("bundles", _) => {
                if let Some(bundle) = report.parse::<super::bundle::Bundle>() {
                    parsed.bundles.push((file.path.clone(), bundle));
                    later.insert(file.path.clone(), report.placeholders.clone());
                }
            }
            _ => report.at(
                &[],
                "未知文件：知识库只包含 kb.toml、items/、materials/、calendar/、forms/、drills/、bundles/"
                    .into(),
            ),
        }
    }
    // On duplicate codes the first file wins, as in the duplicate report.
    let mut items: HashMap<&str, &Item> = HashMap::new();
    for (_, item) in &parsed.items {
        items.entry(item.code.as_str()).or_insert(item);
    }
    // Time limits are compared on every intake date of the calendar's years (the year of kb.toml
    // and the next when there is no calendar).
    let calendar = super::Calendar::new(parsed.calendars.clone());
    let mut years: Vec<i32> = calendar.years().collect();
    if years.is_empty() {
        let year = parsed.meta.as_ref().map_or(2026, |m| m.date.year());
        years = vec![year, year + 1];
    }
    for (path, item) in &parsed.items {
        if let Some(mut r) = Reporter::reopen(source, path, &mut problems, &later) {
            super::check_limits::check_time_limits(&mut r, item, &years, &calendar);
        }
    }
    // Form and drill ids are unique because each must be its file's name in a flat folder.
    for (path, form) in &parsed.forms {
        if let Some(mut r) = Reporter::reopen(source, path, &mut problems, &later) {
            check_form(&mut r, form, &items);
        }
    }
    for (path, drill) in &parsed.drills {
        if let Some(mut r) = Reporter::reopen(source, path, &mut problems, &later) {
            check_drill(&mut r, drill, &items);
        }
    }
    let forms: Vec<&Form> = parsed.forms.iter().map(|(_, f)| f).collect();
    let mut bundle_names: HashMap<String, String> = HashMap::new();
    for (path, bundle) in &parsed.bundles {
        if let Some(mut r) = Reporter::reopen(source, path, &mut problems, &later) {
            super::bundle::check_bundle(&mut r, bundle, &items, &forms);
            if let Some(first) = bundle_names.insert(bundle.name.clone(), path.clone()) {
                r.at(&["name"], format!("一件事名称 {} 重复，已在 {first} 中使用", bundle.name));
            }
        }
    }
    if parsed.meta.is_none() && !source.files.iter().any(|f| f.path == "kb.toml") {
        problems.push(Problem {
            file: source.display_path("kb.toml"),
            line: 0,
            column: 0,
            field: String::new(),
            message: "缺少 kb.toml（版本、发布者、日期）".into(),
        });
    }
    let mut years = HashSet::new();
    for year in &parsed.calendars {
        if !years.insert(year.year) {
            problems.push(Problem {
                file: source.display_path(&format!("calendar/{}.toml", year.year)),
                line: 0,
                column: 0,
                field: "year".into(),
                message: format!("{} 年的节假日安排出现在多个文件中", year.year),
            });
        }
    }
    problems.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
    parsed.review_gaps.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
    (parsed, problems)
}

/// An item, form or drill file that parsed without any problem.
#[derive(Clone)]
enum Clean {
    Item(Box<Item>),
    Form(Box<Form>),
    Drill(Box<Drill>),
}

/// The item, form and drill files that parse without any problem, by file index, parsed on every
/// core: parsing and deserializing is most of what loading a large KB costs, and a clean file
/// needs no reporter. A file that is not clean (syntax or schema error, unknown or misused shared
/// material) or is a draft item is left out, for [`Reporter::parse_item`] or [`Reporter::parse`]
/// to parse again and report; for the others they would return the same value and report nothing.
fn clean_files(source: &KbSource, library: &super::library::Library) -> Vec<Option<Clean>> {
    // The embedded files come parsed from JSON made at build time (see `prebuilt_table`).
    let table = |index: usize, file: &KbFile| {
        super::source::prebuilt_table(index, file).or_else(|| toml::from_str::<toml::Table>(&file.text).ok())
    };
    let clean = |(index, file): (usize, &KbFile)| match file.path.split('/').next() {
        Some("items") => {
            let mut table = table(index, file)?;
            if !library.resolve(&mut table).is_empty() || super::draft::is_draft(&table) {
                return None;
            }
            Item::deserialize(toml::Value::Table(table)).ok().map(|item| Clean::Item(Box::new(item)))
        }
        Some("forms") => match super::source::prebuilt_table(index, file) {
            Some(table) => Form::deserialize(toml::Value::Table(table)).ok(),
            None => toml::from_str(&file.text).ok(),
        }
        .map(|f| Clean::Form(Box::new(f))),
        Some("drills") => match super::source::prebuilt_table(index, file) {
            Some(table) => Drill::deserialize(toml::Value::Table(table)).ok(),
            None => toml::from_str(&file.text).ok(),
        }
        .map(|d| Clean::Drill(Box::new(d))),
        _ => None,
    };
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    // A thread costs about as much as parsing a small item: only split real work.
    let chunk = source.files.len().div_ceil(threads).max(16);
    if threads == 1 || source.files.len() <= chunk {
        return source.files.iter().enumerate().map(clean).collect();
    }
    std::thread::scope(|scope| {
        let parts: Vec<_> = source
            .files
            .chunks(chunk)
            .enumerate()
            .map(|(c, files)| {
                scope.spawn(move || {
                    files.iter().enumerate().map(|(k, f)| clean((c * chunk + k, f))).collect::<Vec<_>>()
                })
            })
            .collect();
        // A panicking parser (none is known) leaves its files to the reporting parse.
        parts
            .into_iter()
            .zip(source.files.chunks(chunk))
            .flat_map(|(part, files)| part.join().unwrap_or_else(|_| vec![None; files.len()]))
            .collect()
    })
}

/// Reads and checks `materials/*.toml`, the shared material library items refer to with `use`.
fn read_library(source: &KbSource, problems: &mut Vec<Problem>) -> super::library::Library {
    let mut library = super::library::Library::default();
    for file in source.files.iter().filter(|f| f.path.starts_with("materials/")) {
        let mut r = Reporter { source, file, problems, doc: None, placeholders: Vec::new(), gaps: None };
        let Some(shared) = r.parse::<super::library::SharedMaterial>() else { continue };
        if file.path != format!("materials/{}.toml", shared.id) {
            r.at(&["id"], format!("文件应为 materials/{}.toml（文件名与共享材料标识一致）", shared.id));
        }
        if !is_identifier(&shared.id) {
            r.at(&["id"], format!("共享材料标识 {:?} 只能用小写字母、数字和下划线", shared.id));
        }
        if shared.name.trim().is_empty() {
            r.at(&["name"], "材料名称不能为空".into());
        }
        check_checkpoints(&mut r, &[], &shared.checkpoints);
        if let Ok(table) = toml::from_str::<toml::Table>(&file.text) {
            library.insert(shared.id.clone(), table);
        }
    }
    library
}

/// Checkpoints of a material (at `prefix`): at least one, and none a clerk cannot look at.
fn check_checkpoints(r: &mut Reporter, prefix: &[&str], checkpoints: &[String]) {
    let at = |rest: &[&str]| prefix.iter().chain(rest).map(|s| s.to_string()).collect::<Vec<_>>();
    if checkpoints.is_empty() {
        let path = at(&["checkpoints"]);
        r.at(&path.iter().map(String::as_str).collect::<Vec<_>>(), "至少需要一条审查要点".into());
    }
    for (j, c) in checkpoints.iter().enumerate() {
        if VAGUE_CHECKPOINTS.contains(&c.trim()) || c.trim().chars().count() < 4 {
            let path = at(&["checkpoints", &j.to_string()]);
            r.at(
                &path.iter().map(String::as_str).collect::<Vec<_>>(),
                format!("审查要点 {c:?} 太笼统：写出窗口人员要看的具体内容"),
            );
        }
    }
}

/// Collects problems of one file, turning field paths into line and column.
pub(crate) struct Reporter<'a> {
    source: &'a KbSource,
    file: &'a KbFile,
    problems: &'a mut Vec<Problem>,
    doc: Option<toml::Spanned<DeTable<'a>>>,
    /// Field paths whose values were made up to continue past a schema error; problems inside
    /// them would be consequences of the made-up value, not of the file, and are not reported.
    placeholders: Vec<String>,
    /// For a draft item: what it lacks before review. A missing field of a draft is such a gap,
    /// not a schema error (see `super::draft`).
    gaps: Option<Vec<Problem>>,
}

/// The most schema errors looked for in one file before giving up on it.
const MAX_REPAIRS: usize = 400;

/// Values tried, in order, in place of a missing or invalid field so that deserialization can go on
/// and find the file's other problems.
fn placeholder_candidates() -> Vec<toml::Value> {
    let date = toml::value::Datetime {
        date: Some(toml::value::Date { year: 2000, month: 1, day: 1 }),
        time: None,
        offset: None,
    };
    vec![
        toml::Value::Integer(0),
        toml::Value::Boolean(false),
        toml::Value::String(String::new()),
        toml::Value::Array(Vec::new()),
        toml::Value::Table(toml::Table::new()),
        toml::Value::Datetime(date),
    ]
}

/// One step of an owned field path, as found by `serde_path_to_error`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(usize),
}

fn steps_to_string(steps: &[Step]) -> String {
    steps.iter().fold(String::new(), |acc, s| match s {
        Step::Index(i) => format!("{acc}[{i}]"),
        Step::Key(k) if acc.is_empty() => k.clone(),
        Step::Key(k) => format!("{acc}.{k}"),
    })
}

fn step_text(step: &Step) -> String {
    match step {
        Step::Key(k) => k.clone(),
        Step::Index(i) => i.to_string(),
    }
}

fn value_at<'v>(root: &'v mut toml::Value, path: &[Step]) -> Option<&'v mut toml::Value> {
    let mut here = root;
    for step in path {
        here = match (step, here) {
            (Step::Key(k), toml::Value::Table(t)) => t.get_mut(k)?,
            (Step::Index(i), toml::Value::Array(a)) => a.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(here)
}

/// Sets (or, with `None`, removes) the value at `path`; false when the parent does not exist.
fn put(root: &mut toml::Value, path: &[Step], value: Option<toml::Value>) -> bool {
    let Some((last, parent)) = path.split_last() else { return false };
    match (last, value_at(root, parent)) {
        (Step::Key(k), Some(toml::Value::Table(t))) => {
            match value {
                Some(v) => t.insert(k.clone(), v),
                None => t.remove(k),
            };
            true
        }
        (Step::Index(i), Some(toml::Value::Array(a))) if *i < a.len() => {
            match value {
                Some(v) => a[*i] = v,
                None => drop(a.remove(*i)),
            }
            true
        }
        _ => false,
    }
}

/// The field names serde lists after "expected", as `可用字段：a、b`.
fn expected_list(message: &str) -> String {
    let Some(at) = message.find("expected") else { return String::new() };
    let names: Vec<&str> = message[at..].split('`').skip(1).step_by(2).collect();
    if names.is_empty() {
        "此处不允许任何字段".into()
    } else {
        format!("可用字段：{}", names.join("、"))
    }
}

/// The first back-quoted word after "expected" in a serde message: the first allowed enum variant.
fn expected_variant(message: &str) -> Option<String> {
    let rest = &message[message.find("expected")?..];
    let start = rest.find('`')? + 1;
    let len = rest[start..].find('`')?;
    Some(rest[start..start + len].to_string())
}

/// One step of a field path: a table key or an array index.
#[derive(Clone, Copy)]
enum Seg<'s> {
    Key(&'s str),
    Index(usize),
}

impl<'a> Reporter<'a> {
    /// A reporter for a file already parsed once, for checks that need the whole KB.
    fn reopen(
        source: &'a KbSource,
        path: &str,
        problems: &'a mut Vec<Problem>,
        placeholders: &HashMap<String, Vec<String>>,
    ) -> Option<Self> {
        let file = source.files.iter().find(|f| f.path == path)?;
        Some(Reporter {
            source,
            file,
            problems,
            doc: None,
            placeholders: placeholders.get(path).cloned().unwrap_or_default(),
            gaps: None,
        })
    }

    /// The file's path relative to the KB root (`bundles/x.toml`).
    pub(crate) fn file_path(&self) -> &str {
        &self.file.path
    }

    fn push(&mut self, span: Option<Range<usize>>, field: String, message: String) {
        let (line, column) = match span {
            Some(span) => line_col(&self.file.text, span.start),
            None => (1, 1),
        };
        let problem =
            Problem { file: self.source.display_path(&self.file.path), line, column, field, message };
        self.problems.push(problem);
    }

    /// Records what a draft lacks at `path` (a review gap, not a problem of the file).
    pub(crate) fn gap(&mut self, path: &[&str], message: String) {
        let before = self.problems.len();
        self.at(path, message);
        // A field missing at the top has no place of its own: point at the item's code.
        if self.problems.len() > before && path.len() == 1 && self.span_of(&[Seg::Key(path[0])]).is_none() {
            let span = self.span_of(&[Seg::Key("code")]);
            if let (Some(p), Some(span)) = (self.problems.last_mut(), span) {
                (p.line, p.column) = line_col(&self.file.text, span.start);
            }
        }
        if self.problems.len() > before
            && let Some(problem) = self.problems.pop()
        {
            self.gaps.get_or_insert_with(Vec::new).push(problem);
        }
    }

    /// Deserializes the file, reporting a syntax error, or every schema error (unknown field,
    /// missing field, wrong type or value) at its position.
    ///
    /// Serde stops at the first error, so after one is found the offending value is removed or
    /// replaced by a stand-in and deserialization is tried again, until the file deserializes. The
    /// value returned may then contain stand-ins; their paths are remembered so that later checks
    /// do not report problems in them.
    pub(crate) fn parse<T: DeserializeOwned>(&mut self) -> Option<T> {
        // The common case, a good file, needs one parse; the spanned document is only built when
        // a problem has to be located (see `span_of`).
        if let Ok(value) = toml::from_str::<T>(&self.file.text) {
            return Some(value);
        }
        match DeTable::parse(&self.file.text) {
            Ok(doc) => self.doc = Some(doc),
            Err(e) => {
                self.push(e.span(), String::new(), format!("TOML 语法错误：{}", e.message()));
                return None;
            }
        }
        let root = toml::Value::Table(toml::from_str::<toml::Table>(&self.file.text).ok()?);
        self.recover(root)
    }

    /// Like [`Self::parse`] for an item: every `use` of a shared material is resolved from the
    /// library first (see `kb/library.rs`), and problems with it are reported at the material.
    pub(crate) fn parse_item(&mut self, library: &super::library::Library) -> Option<Item> {
        let mut table = match toml::from_str::<toml::Table>(&self.file.text) {
            Ok(table) => table,
            // The syntax error is reported, with its position, by the plain parse.
            Err(_) => return self.parse(),
        };
        for p in library.resolve(&mut table) {
            let index = p.material.to_string();
            self.at(&["materials", &index, p.field], p.message);
            if p.field == "use" {
                // Without its shared material the entry lacks every field the library would
                // give: those are consequences, not further problems of the file.
                self.placeholders.push(format!("materials[{index}]"));
            }
        }
        if super::draft::is_draft(&table) {
            self.gaps = Some(Vec::new());
            super::draft::prepare(self, &mut table);
        }
        let root = toml::Value::Table(table);
        if let Ok(item) = Item::deserialize(root.clone()) {
            return Some(item);
        }
        if self.doc.is_none() {
            self.doc = DeTable::parse(&self.file.text).ok();
        }
        self.recover(root)
    }

    /// The repair loop of [`Self::parse`], from the file's value.
    fn recover<T: DeserializeOwned>(&mut self, mut root: toml::Value) -> Option<T> {
        let known = self.placeholders.clone();
        // Stand-ins: path and how many candidates were tried there.
        let mut stand_ins: Vec<(Vec<Step>, usize)> = Vec::new();
        let candidates = placeholder_candidates();
        for _ in 0..MAX_REPAIRS {
            let error = match serde_path_to_error::deserialize::<_, T>(root.clone()) {
                Ok(value) => return Some(value),
                Err(error) => error,
            };
            let mut path = Vec::new();
            for seg in error.path().iter() {
                match seg {
                    serde_path_to_error::Segment::Map { key } => path.push(Step::Key(key.clone())),
                    serde_path_to_error::Segment::Seq { index } => path.push(Step::Index(*index)),
                    _ => break,
                }
            }
            let message = error.inner().message().lines().next().unwrap_or_default().trim().to_string();
            let inside_stand_in = stand_ins.iter().any(|(p, _)| path.starts_with(p));
            if let Some(rest) = message.strip_prefix("unknown field `") {
                if !inside_stand_in {
                    let field = rest.split('`').next().unwrap_or_default();
                    self.at_steps(
                        &path,
                        format!("字段错误：未知字段 {field}（{}）", expected_list(&message)),
                    );
                }
                if !put(&mut root, &path, None) {
                    return None;
                }
            } else if let Some(rest) = message.strip_prefix("missing field `") {
                let field = rest.split('`').next().unwrap_or_default().to_string();
                path.push(Step::Key(field.clone()));
                if !inside_stand_in && self.gaps.is_some() {
                    let owned: Vec<String> = path.iter().map(step_text).collect();
                    let refs: Vec<&str> = owned.iter().map(String::as_str).collect();
                    self.gap(&refs, super::draft::missing(&field));
                } else if !inside_stand_in {
                    self.at_steps(&path, format!("字段错误：缺少字段 {field}"));
                }
                if !put(&mut root, &path, Some(candidates[0].clone())) {
                    return None;
                }
                stand_ins.push((path, 1));
            } else {
                let slot = stand_ins.iter().position(|(p, _)| *p == path);
                let tried = match slot {
                    Some(i) => stand_ins[i].1,
                    None => {
                        if !inside_stand_in {
                            self.at_steps(&path, format!("字段错误：{}", translate_serde(&message)));
                        }
                        stand_ins.push((path.clone(), 0));
                        0
                    }
                };
                let slot = slot.unwrap_or(stand_ins.len() - 1);
                // An enum names its variants in the message: try the first one before the rest.
                let variant = expected_variant(&message)
                    .filter(|_| message.starts_with("unknown variant"))
                    .map(toml::Value::String);
                let current = value_at(&mut root, &path).map(|v| v.clone());
                let next = match variant {
                    Some(v) if current.as_ref() != Some(&v) => v,
                    _ => match candidates.get(tried) {
                        Some(c) => {
                            stand_ins[slot].1 += 1;
                            c.clone()
                        }
                        None => return None,
                    },
                };
                if path.is_empty() || !put(&mut root, &path, Some(next)) {
                    return None;
                }
            }
            self.placeholders =
                known.iter().cloned().chain(stand_ins.iter().map(|(p, _)| steps_to_string(p))).collect();
        }
        None
    }

    fn at_steps(&mut self, path: &[Step], message: String) {
        let owned: Vec<String> = path.iter().map(step_text).collect();
        let refs: Vec<&str> = owned.iter().map(String::as_str).collect();
        self.at(&refs, message);
    }

    /// Marks `field` (`materials[2].key`) as holding a stand-in: problems inside it are not reported.
    pub(crate) fn stand_in(&mut self, field: String) {
        self.placeholders.push(field);
    }

    /// Whether problems at `field` are consequences of a stand-in value.
    fn suppressed(&self, field: &str) -> bool {
        self.placeholders.iter().any(|p| {
            field == p || field.strip_prefix(p.as_str()).is_some_and(|rest| rest.starts_with(['.', '[']))
        })
    }

    /// Reports a problem at the field given by path segments like `["materials", "2", "when"]`.
    pub(crate) fn at(&mut self, path: &[&str], message: String) {
        let segs: Vec<Seg> =
            path.iter().map(|s| s.parse::<usize>().map(Seg::Index).unwrap_or(Seg::Key(s))).collect();
        if self.doc.is_none() {
            self.doc = DeTable::parse(&self.file.text).ok();
        }
        let span = self.span_of(&segs);
        let field = path.iter().fold(String::new(), |acc, s| match s.parse::<usize>() {
            Ok(i) => format!("{acc}[{i}]"),
            Err(_) if acc.is_empty() => (*s).to_string(),
            Err(_) => format!("{acc}.{s}"),
        });
        if self.suppressed(&field) {
            return;
        }
        self.push(span, field, message);
    }

    /// Span of the deepest part of `path` that exists in the document (key preferred over value).
    fn span_of(&self, path: &[Seg]) -> Option<Range<usize>> {
        let doc = self.doc.as_ref()?;
        let mut table: &DeTable = doc.get_ref();
        let mut best = None;
        let mut value: Option<&toml::Spanned<DeValue>> = None;
        for seg in path {
            match (*seg, value) {
                (Seg::Key(k), None) => {
                    let Some((key, v)) = table.get_key_value(k) else { return best };
                    best = Some(key.span());
                    value = Some(v);
                }
                (Seg::Key(k), Some(v)) => {
                    let DeValue::Table(t) = v.get_ref() else { return best };
                    table = t;
                    let Some((key, v)) = table.get_key_value(k) else { return best };
                    best = Some(key.span());
                    value = Some(v);
                }
                (Seg::Index(i), Some(v)) => {
                    let DeValue::Array(a) = v.get_ref() else { return best };
                    let Some(elem) = a.get(i) else { return best };
                    best = Some(elem.span());
                    value = Some(elem);
                }
                (Seg::Index(_), None) => return best,
            }
        }
        best
    }
}

/// 1-based line and character column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..text.floor_char_boundary(offset)];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Makes serde's English messages readable for Chinese maintainers while keeping the field names.
fn translate_serde(message: &str) -> String {
    if let Some(rest) = message.strip_prefix("missing field ") {
        format!("缺少字段 {rest}")
    } else if let Some(rest) = message.strip_prefix("unknown field ") {
        format!("未知字段 {rest}")
    } else if let Some(rest) = message.strip_prefix("unknown variant ") {
        let (found, _) = rest.split_once(", expected").unwrap_or((rest, ""));
        let allowed: Vec<&str> = rest.split('`').skip(3).step_by(2).collect();
        format!("取值无效 {found}，可选：{}", allowed.join("、"))
    } else if let Some(rest) = message.strip_prefix("invalid type: ") {
        let (found, expected) = rest.split_once(", expected ").unwrap_or((rest, "?"));
        format!("类型错误：{found}，应为 {expected}")
    } else if let Some(rest) = message.strip_prefix("invalid value: ") {
        let (found, expected) = rest.split_once(", expected ").unwrap_or((rest, "?"));
        format!("取值无效：{found}，应为 {expected}")
    } else {
        message.to_string()
    }
}

/// Words that are not a checkpoint: a clerk cannot look at "符合要求".
const VAGUE_CHECKPOINTS: &[&str] = &["符合要求", "符合规定", "齐全", "合格", "有效"];

pub(crate) fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && s.starts_with(|c: char| c.is_ascii_lowercase())
}

fn check_item(r: &mut Reporter, item: &Item) {
    // Items may be grouped in sub-folders of items/ (by department); the file name is the code.
    let stem = r.file.path.rsplit('/').next().and_then(|name| name.strip_suffix(".toml"));
    if stem != Some(item.code.as_str()) {
        r.at(&["code"], format!("文件名应与事项编码一致：{}.toml", item.code));
    }
    if item.code.is_empty() || item.code.len() > 40 || !item.code.chars().all(|c| c.is_ascii_alphanumeric()) {
        r.at(&["code"], "事项编码只能由 1–40 位字母和数字组成".into());
    }
    for (field, text) in [("name", &item.name), ("department", &item.department)] {
        if text.trim().is_empty() {
            r.at(&[field], "不能为空".into());
        }
    }
    if item.legal_basis.is_empty() {
        r.at(&["legal_basis"], "至少需要一条设定依据".into());
    }
    if item.service_objects.is_empty() {
        r.at(&["service_objects"], "至少需要一个服务对象".into());
    }
    if item.delivery.is_empty() {
        r.at(&["delivery"], "至少需要一种出件方式".into());
    }
    if !item.handled_at.district && !item.handled_at.community {
        r.at(&["handled_at"], "区级中心和社区中心至少一处可办理".into());
    }
    if item.materials.is_empty() {
        r.at(&["materials"], "至少需要一项申请材料".into());
    }
    let situations: HashSet<&str> = item.situations.iter().map(|s| s.id.as_str()).collect();
    let mut seen_situations = HashSet::new();
    for (i, s) in item.situations.iter().enumerate() {
        let idx = i.to_string();
        if !is_identifier(&s.id) {
            r.at(&["situations", &idx, "id"], format!("情形标识 {:?} 只能用小写字母、数字和下划线", s.id));
        }
        if !seen_situations.insert(s.id.as_str()) {
            r.at(&["situations", &idx, "id"], format!("情形标识 {} 重复", s.id));
        }
    }
    let lenient_allowed = item.lenient.as_ref().is_some_and(|l| l.allowed);
    if let Some(lenient) = &item.lenient
        && lenient.allowed
    {
        match lenient.supplement_days {
            None | Some(0) => r.at(&["lenient"], "允许容缺受理，但没有补正期限 supplement_days".into()),
            // Against the promised limit in its own unit: see `check_limits`.
            Some(_) => {}
        }
        if lenient.on_expiry.is_none() {
            r.at(&["lenient"], "允许容缺受理，但没有写明逾期未补正的后果 on_expiry".into());
        }
        if !item.materials.iter().any(|m| m.lenient) {
            r.at(&["lenient", "allowed"], "允许容缺受理，但没有任何材料标记为可容缺 (lenient = true)".into());
        }
    }
    let ids: BTreeMap<&str, usize> =
        item.materials.iter().enumerate().map(|(i, m)| (m.id.as_str(), i)).collect();
    let mut seen = HashSet::new();
    for (i, m) in item.materials.iter().enumerate() {
        let idx = i.to_string();
        let at = |field: &'static str| ["materials", idx.as_str(), field];
        if !is_identifier(&m.id) {
            r.at(&at("id"), format!("材料标识 {:?} 只能用小写字母、数字和下划线", m.id));
        }
        if !seen.insert(m.id.as_str()) {
            r.at(&at("id"), format!("材料标识 {} 在本事项中重复", m.id));
        }
        if situations.contains(m.id.as_str()) {
            r.at(&at("id"), format!("材料标识 {} 与情形标识相同，when 条件会有歧义", m.id));
        }
        if m.name.trim().is_empty() {
            r.at(&at("name"), "材料名称不能为空".into());
        }
        match m.necessity {
            Necessity::Conditional => {
                if m.condition.as_deref().is_none_or(|c| c.trim().is_empty()) {
                    r.at(&at("necessity"), "情形必要的材料必须写明 condition（何种情形下需要）".into());
                }
                match m.when.as_deref() {
                    None => r.at(&at("necessity"), "情形必要的材料必须用 when 指明情形或材料标识".into()),
                    Some(w) if w == m.id => r.at(&at("when"), "材料不能以自身为条件".into()),
                    Some(w) if !situations.contains(w) && !ids.contains_key(w) => r.at(
                        &at("when"),
                        format!("条件 {w} 既不是本事项的情形 (situations)，也不是本事项的材料"),
                    ),
                    Some(_) => {}
                }
            }
            Necessity::Required => {
                if m.when.is_some() {
                    r.at(&at("when"), "必要材料不应有 when 条件；有条件的材料请标为 情形必要".into());
                }
            }
        }
        if m.originals == 0 && m.copies == 0 && !m.shared_data {
            r.at(&at("originals"), "原件和复印件份数都为 0".into());
        }
        check_checkpoints(r, &["materials", &idx], &m.checkpoints);
        if m.lenient_condition.as_ref().is_some_and(|c| c.trim().is_empty()) {
            r.at(&at("lenient_condition"), "容缺条件为空：写明条件，或删去 lenient_condition".into());
        } else if m.lenient_condition.is_some() && !m.lenient {
            r.at(&at("lenient_condition"), "写了容缺条件，但材料未标记为可容缺 (lenient = true)".into());
        }
        if m.lenient && m.key {
            r.at(&at("lenient"), "核心材料 (key = true) 不得容缺".into());
        } else if m.lenient && !lenient_allowed {
            r.at(&at("lenient"), "本事项不允许容缺受理，材料不能标记为可容缺".into());
        }
    }
}

fn check_form(r: &mut Reporter, form: &Form, items: &HashMap<&str, &Item>) {
    if r.file.path != format!("forms/{}.toml", form.id) {
        r.at(&["id"], format!("文件应为 forms/{}.toml（文件名与表单标识一致）", form.id));
    }
    if !is_identifier(&form.id) {
        r.at(&["id"], format!("表单标识 {:?} 只能用小写字母、数字和下划线", form.id));
    }
    if form.title.trim().is_empty() {
        r.at(&["title"], "不能为空".into());
    }
    if form.items.is_empty() {
        r.at(&["items"], "至少需要一个事项编码".into());
    }
    let mut known = Vec::new();
    for (i, code) in form.items.iter().enumerate() {
        match items.get(code.as_str()) {
            Some(item) => known.push(*item),
            None => r.at(&["items", &i.to_string()], format!("没有编码为 {code} 的事项")),
        }
    }
    if let Some(material) = &form.material {
        for item in &known {
            if !item.materials.iter().any(|m| &m.id == material) {
                r.at(&["material"], format!("事项 {} 没有材料 {material}", item.code));
            }
        }
    }
    if form.sections.is_empty() {
        r.at(&["sections"], "至少需要一栏".into());
    }
    let situation_ok = |when: &str| known.iter().all(|item| item.situations.iter().any(|s| s.id == when));
    let mut section_ids = HashSet::new();
    let mut field_ids = HashSet::new();
    for (i, section) in form.sections.iter().enumerate() {
        let si = i.to_string();
        if !is_identifier(&section.id) {
            r.at(&["sections", &si, "id"], format!("栏目标识 {:?} 只能用小写字母、数字和下划线", section.id));
        }
        if !section_ids.insert(section.id.as_str()) {
            r.at(&["sections", &si, "id"], format!("栏目标识 {} 重复", section.id));
        }
        if let Some(when) = &section.when
            && !situation_ok(when)
        {
            r.at(&["sections", &si, "when"], format!("条件 {when} 不是表单所属每个事项的情形"));
        }
        if section.fields.is_empty() {
            r.at(&["sections", &si, "fields"], "至少需要一个字段".into());
        }
        for (j, field) in section.fields.iter().enumerate() {
            let fj = j.to_string();
            let at = |name: &'static str| ["sections", si.as_str(), "fields", fj.as_str(), name];
            if !is_identifier(&field.id) {
                r.at(&at("id"), format!("字段标识 {:?} 只能用小写字母、数字和下划线", field.id));
            }
            if !field_ids.insert(field.id.as_str()) {
                r.at(&at("id"), format!("字段标识 {} 在本表单中重复", field.id));
            }
            if field.label.trim().is_empty() {
                r.at(&at("label"), "不能为空".into());
            }
            if let Some(from) = &field.from {
                match from_key(from) {
                    None => r.at(
                        &at("from"),
                        format!(
                            "未知的数据来源 {from}；可用：{}",
                            super::forms::FROM_KEYS.iter().map(|k| k.key).collect::<Vec<_>>().join("、")
                        ),
                    ),
                    Some(key) if !key.kinds.contains(&field.kind) => r.at(
                        &at("from"),
                        format!("{from}（{}）不能填入 {} 类型的字段", key.label, kind_name(field.kind)),
                    ),
                    Some(_) => {}
                }
            }
            if let Some(when) = &field.when
                && !situation_ok(when)
            {
                r.at(&at("when"), format!("条件 {when} 不是表单所属每个事项的情形"));
            }
            if field.kind.has_options() {
                if field.options.len() < 2 {
                    r.at(&at("options"), "选择题至少需要两个选项".into());
                }
                let mut seen = HashSet::new();
                if let Some(dup) = field.options.iter().find(|o| !seen.insert(o.as_str())) {
                    r.at(&at("options"), format!("选项 {dup} 重复"));
                }
            } else if !field.options.is_empty() {
                r.at(&at("options"), format!("{} 类型的字段不能有选项", kind_name(field.kind)));
            }
            if field.max_len.is_some() && !field.kind.is_text() {
                r.at(&at("max_len"), format!("{} 类型的字段不能限制字数", kind_name(field.kind)));
            }
            if (field.min.is_some() || field.max.is_some()) && !field.kind.is_numeric() {
                r.at(
                    &at("kind"),
                    format!("min/max 只适用于 number 和 money，不适用于 {}", kind_name(field.kind)),
                );
            }
            if let (Some(min), Some(max)) = (field.min, field.max)
                && min > max
            {
                r.at(&at("min"), format!("最小值 {min} 大于最大值 {max}"));
            }
        }
    }
}

fn kind_name(kind: FieldKind) -> String {
    serde_json::to_value(kind).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

fn check_drill(r: &mut Reporter, drill: &Drill, items: &HashMap<&str, &Item>) {
    if r.file.path != format!("drills/{}.toml", drill.id) {
        r.at(&["id"], format!("文件应为 drills/{}.toml（文件名与演练标识一致）", drill.id));
    }
    if !is_identifier(&drill.id) {
        r.at(&["id"], format!("演练标识 {:?} 只能用小写字母、数字和下划线", drill.id));
    }
    for (field, text) in [("title", &drill.title), ("narrative", &drill.narrative)] {
        if text.trim().is_empty() {
            r.at(&[field], "不能为空".into());
        }
    }
    if drill.minutes == Some(0) {
        r.at(&["minutes"], "限时不能为 0；不限时请删去 minutes".into());
    }
    if drill.scoring.total() != 100 {
        r.at(&["scoring"], format!("评分权重合计应为 100，实际为 {}", drill.scoring.total()));
    }
    if drill.ineligible.as_deref().is_some_and(|s| s.trim().is_empty()) {
        r.at(&["ineligible"], "不符合条件时须写明原因".into());
    }
    let applicant = &drill.applicant;
    match applicant.kind {
        ApplicantKind::Person if applicant.id_number.is_none() => {
            r.at(&["applicant"], "自然人申请须有 id_number".into())
        }
        ApplicantKind::Organisation if applicant.credit_code.is_none() => {
            r.at(&["applicant"], "单位申请须有 credit_code".into())
        }
        ApplicantKind::ProposedOrganisation if applicant.legal_representative.is_none() => {
            r.at(&["applicant"], "拟设立单位申请须有 legal_representative".into())
        }
        _ => {}
    }
    for (i, key) in drill.expected.invalid_fields.iter().enumerate() {
        let at = ["expected", "invalid_fields", &i.to_string()];
        if !CHECKED_FIELDS.contains(&key.as_str()) {
            r.at(&at, format!("未知的申请人信息 {key}；可用：{}", CHECKED_FIELDS.join("、")));
        } else if drill.field_value(key).is_none() {
            r.at(&at, format!("{key} 没有填写，无从判断是否有效"));
        }
    }
    let pending = drill.expected.decision == ExpectedDecision::AcceptPending;
    if drill.expected.supplement_deadline.is_some() && !pending {
        r.at(&["expected", "supplement_deadline"], "只有容缺受理才有补正期限".into());
    }
    let Some(item) = items.get(drill.item.as_str()) else {
        r.at(&["item"], format!("没有编码为 {} 的事项", drill.item));
        return;
    };
    for s in drill.situations.keys() {
        if !item.situations.iter().any(|x| &x.id == s) {
            let known: Vec<_> = item.situations.iter().map(|x| x.id.as_str()).collect();
            r.at(&["situations", s], format!("事项 {} 没有情形 {s}；可用：{}", item.code, known.join("、")));
        }
    }
    let open = super::conditions::open_questions(item, &drill.situations);
    if !open.is_empty() {
        let list: Vec<String> = open.iter().map(|q| format!("{}（{}）", q.id, q.label)).collect();
        r.at(
            &["situations"],
            format!("演练须回答事项的每个情形（是/否），尚未回答或与分组矛盾：{}", list.join("、")),
        );
    }
    let mut seen = HashSet::new();
    for (i, m) in drill.materials.iter().enumerate() {
        let idx = i.to_string();
        if !item.materials.iter().any(|x| x.id == m.id) {
            let known: Vec<_> = item.materials.iter().map(|x| x.id.as_str()).collect();
            r.at(
                &["materials", &idx, "id"],
                format!("事项 {} 没有材料 {}；可用：{}", item.code, m.id, known.join("、")),
            );
        }
        if !seen.insert(m.id.as_str()) {
            r.at(&["materials", &idx, "id"], format!("材料 {} 重复", m.id));
        }
        match (&m.state, &m.defect) {
            (MaterialState::Defect { .. }, None) => {
                r.at(&["materials", &idx, "state"], "有缺陷的材料须写明 defect".into())
            }
            (_, Some(_)) if !matches!(m.state, MaterialState::Defect { .. }) => {
                r.at(&["materials", &idx, "defect"], "只有“有缺陷”的材料才写 defect".into())
            }
            _ => {}
        }
    }
    let unlisted = drill.unlisted_materials(item);
    if !unlisted.is_empty() {
        r.at(
            &["materials"],
            format!("未说明申请人是否带来以下材料（缺少也须写明）：{}", unlisted.join("、")),
        );
    }
    for (i, id) in drill.expected.deficient.iter().enumerate() {
        if !item.materials.iter().any(|x| &x.id == id) {
            r.at(&["expected", "deficient", &i.to_string()], format!("事项 {} 没有材料 {id}", item.code));
        }
    }
}

fn check_calendar(r: &mut Reporter, cal: &CalendarYear) {
    if r.file.path != format!("calendar/{}.toml", cal.year) {
        r.at(&["year"], format!("文件名应为 calendar/{}.toml", cal.year));
    }
    let mut days_off: Vec<(NaiveDate, NaiveDate, usize)> = Vec::new();
    for (i, h) in cal.holidays.iter().enumerate() {
        let idx = i.to_string();
        for (field, date) in [("from", h.from), ("to", h.to)] {
            if date.year() != cal.year {
                r.at(&["holidays", &idx, field], format!("{date} 不在 {} 年内", cal.year));
            }
        }
        if h.to < h.from {
            r.at(&["holidays", &idx, "to"], format!("结束日期 {} 早于开始日期 {}", h.to, h.from));
        }
        for &(from, to, j) in &days_off {
            if h.from <= to && from <= h.to {
                r.at(
                    &["holidays", &idx, "from"],
                    format!("{} 与 {} 的假期重叠 ({from}…{to})", h.name, cal.holidays[j].name),
                );
            }
        }
        days_off.push((h.from, h.to, i));
        for (k, w) in h.workdays.iter().enumerate() {
            let at = ["holidays", idx.as_str(), "workdays", &k.to_string()];
            if w.year() != cal.year {
                r.at(&at, format!("调休上班日 {w} 不在 {} 年内", cal.year));
            }
            if !matches!(w.weekday(), Weekday::Sat | Weekday::Sun) {
                r.at(&at, format!("调休上班日 {w} 不是周末，本来就是工作日"));
            }
        }
    }
    for (i, h) in cal.holidays.iter().enumerate() {
        for (k, w) in h.workdays.iter().enumerate() {
            if let Some(&(_, _, j)) = days_off.iter().find(|(from, to, _)| from <= w && w <= to) {
                r.at(
                    &["holidays", &i.to_string(), "workdays", &k.to_string()],
                    format!("调休上班日 {w} 落在 {} 假期内", cal.holidays[j].name),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The parallel pre-parse hands the check exactly what the reporting parse would, for every
    /// embedded item, form and drill, and leaves out a file with a problem.
    #[test]
    fn clean_files_are_what_the_reporting_parse_gives() {
        let source = KbSource::embedded();
        let mut problems = Vec::new();
        let library = read_library(&source, &mut problems);
        let clean = clean_files(&source, &library);
        for (file, clean) in source.files.iter().zip(clean) {
            let mut r = Reporter {
                source: &source,
                file,
                problems: &mut problems,
                doc: None,
                placeholders: Vec::new(),
                gaps: None,
            };
            match clean {
                Some(Clean::Item(item)) => assert_eq!(Some(*item), r.parse_item(&library), "{}", file.path),
                Some(Clean::Form(form)) => assert_eq!(Some(*form), r.parse::<Form>(), "{}", file.path),
                Some(Clean::Drill(drill)) => assert_eq!(Some(*drill), r.parse::<Drill>(), "{}", file.path),
                None => assert!(
                    !["items", "forms", "drills"].contains(&file.path.split('/').next().unwrap_or(""))
                ),
            }
        }
        assert!(problems.is_empty(), "{problems:?}");
        let bad = source_with_unknown_use();
        let library = read_library(&bad, &mut problems);
        assert!(clean_files(&bad, &library).iter().all(Option::is_none));
    }

    fn source_with_unknown_use() -> KbSource {
        let item = KbSource::embedded()
            .files
            .into_iter()
            .find(|f| f.text.contains("use = \""))
            .expect("an item using the library");
        let text = item.text.replacen("use = \"", "use = \"no_such_", 1);
        KbSource { label: "<test>".into(), files: vec![KbFile { path: item.path, text }] }
    }

    fn source(files: &[(&str, &str)]) -> KbSource {
        KbSource {
            label: "t".into(),
            files: files.iter().map(|(p, t)| KbFile { path: (*p).into(), text: (*t).into() }).collect(),
        }
    }

    /// Deleting any one line of a real item never panics, and every problem points into the file.
    #[test]
    fn any_line_deleted_is_reported_within_the_file() {
        let kb = KbSource::embedded();
        let item = kb.files.iter().find(|f| f.path == "items/00013112700401.toml").unwrap();
        let meta = kb.files.iter().find(|f| f.path == "kb.toml").unwrap();
        let lines: Vec<&str> = item.text.lines().collect();
        for skip in 0..lines.len() {
            let text: String =
                lines.iter().enumerate().filter(|(i, _)| *i != skip).map(|(_, l)| format!("{l}\n")).collect();
            let (_, problems) = check(&source(&[("kb.toml", &meta.text), (&item.path, &text)]));
            for p in &problems {
                assert!(p.line >= 1 && p.line <= lines.len(), "line {skip}: {p}");
            }
        }
    }

    #[test]
    fn line_col_counts_characters_not_bytes() {
        let text = "a = 1\n名称 = \"x\"\n";
        assert_eq!(line_col(text, 0), (1, 1));
        let offset = text.find('=').unwrap();
        assert_eq!(line_col(text, offset), (1, 3));
        let offset = text.rfind('=').unwrap();
        assert_eq!(line_col(text, offset), (2, 4));
    }
}
