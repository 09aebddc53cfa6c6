//! The service guide (办事指南) of an item as a list of typed lines, shared by `kb show` (plain text)
//! and the desk's detail pane (styled), so both always show the same facts in the same order.

use super::limits::SPECIAL_NOT_COUNTED;
use super::model::{Item, Necessity};

/// What a guide line is, so a renderer can style it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    /// The item's name.
    Title,
    /// A section heading (材料清单 …).
    Heading,
    /// A `label：value` fact.
    Fact,
    /// A material's header line.
    Material,
    /// A checkpoint or list entry under a material or section.
    Bullet,
    /// A remark (note, uncertainty).
    Note,
}

/// One line of a guide.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuideLine {
    /// How to style it.
    pub kind: LineKind,
    /// Indentation level (0, 1, 2).
    pub indent: u8,
    /// The text, without indentation.
    pub text: String,
}

fn line(kind: LineKind, indent: u8, text: impl Into<String>) -> GuideLine {
    GuideLine { kind, indent, text: text.into() }
}

fn join<T>(items: &[T], f: impl Fn(&T) -> &str) -> String {
    items.iter().map(f).collect::<Vec<_>>().join("、")
}

/// Where the item can be handled, as printed ("区级中心、社区中心，两地通办").
pub fn where_handled(item: &Item) -> String {
    let h = &item.handled_at;
    let mut places = Vec::new();
    if h.district {
        places.push("区级政务服务中心");
    }
    if h.community {
        places.push("街道（社区）便民服务中心");
    }
    let mut text = places.join("、");
    if h.both_centers {
        text.push_str("，两地通办");
    }
    text
}

/// The time-limit lines of the guide: statutory limit with its basis, promised limit, extension
/// and special procedures (whose time does not count toward the limit).
pub fn time_limit_lines(item: &Item) -> Vec<GuideLine> {
    let limits = &item.time_limits;
    let mut out = vec![
        line(LineKind::Fact, 0, format!("法定时限：{}", limits.statutory.text())),
        line(
            LineKind::Fact,
            0,
            format!("承诺时限：{} | 最多跑动 {} 次", limits.promised.text(), item.visits),
        ),
    ];
    if let Some(ext) = &limits.extension {
        out.push(line(LineKind::Fact, 0, format!("延长：{}", ext.text())));
    }
    if !limits.special_procedures.is_empty() {
        out.push(line(LineKind::Fact, 0, format!("特别程序（{}）：", SPECIAL_NOT_COUNTED)));
        out.extend(
            limits.special_procedures.iter().map(|p| line(LineKind::Bullet, 1, format!("- {}", p.text()))),
        );
    }
    out
}

/// The national elements (GB/T 39046) an item carries: type and level, the codes, the
/// implementing body's credit code, address, hours and result. Absent elements are left out.
pub fn element_lines(item: &Item) -> Vec<GuideLine> {
    let mut out = Vec::new();
    let mut kind = format!("事项类型：{}（{}）", item.kind.label(), item.kind.code());
    if let Some(level) = item.level {
        kind.push_str(&format!(" | 行使层级：{}（{}）", level.label(), level.code()));
    }
    if let Some(nature) = item.department_nature {
        kind.push_str(&format!(" | 实施主体性质：{}", nature.label()));
    }
    out.push(line(LineKind::Fact, 0, kind));
    let codes: Vec<String> = [
        ("基本编码", &item.basic_code),
        ("实施编码", &item.implementation_code),
        ("业务办理项编码", &item.business_item_code),
    ]
    .into_iter()
    .filter_map(|(label, v)| v.as_ref().map(|v| format!("{label} {v}")))
    .collect();
    if !codes.is_empty() {
        out.push(line(LineKind::Fact, 0, codes.join(" | ")));
    }
    if let Some(code) = &item.department_code {
        out.push(line(LineKind::Fact, 0, format!("实施主体统一社会信用代码：{code}")));
    }
    for (label, value) in [("办理地址", &item.address), ("办理时间", &item.hours)] {
        if let Some(v) = value {
            out.push(line(LineKind::Fact, 0, format!("{label}：{v}")));
        }
    }
    if let Some(result) = &item.result {
        out.push(line(LineKind::Fact, 0, format!("办理结果：{}", result.text())));
    }
    out
}

/// The whole guide of an item.
pub fn guide(item: &Item) -> Vec<GuideLine> {
    let mut out = vec![line(LineKind::Title, 0, &item.name)];
    if item.is_draft() {
        out.push(line(
            LineKind::Fact,
            0,
            "【待审核】从政务服务事项目录导入的草稿：审查要点、核心与容缺标记、情形尚未审核，不能据此受理",
        ));
    }
    out.extend([line(
        LineKind::Fact,
        0,
        format!(
            "编码 {} | {} | {} | {}",
            item.code,
            item.kind.label(),
            item.case_type.label(),
            item.department
        ),
    )]);
    out.extend(element_lines(item));
    if !item.aliases.is_empty() {
        out.push(line(LineKind::Fact, 0, format!("又称：{}", item.aliases.join("、"))));
    }
    out.extend(time_limit_lines(item));
    out.push(line(LineKind::Fact, 0, format!("办理地点：{}", where_handled(item))));
    out.push(line(
        LineKind::Fact,
        0,
        format!(
            "网办程度：{} | 服务对象：{}",
            item.online.label(),
            join(&item.service_objects, |s| s.label())
        ),
    ));
    out.push(line(LineKind::Fact, 0, format!("出件方式：{}", join(&item.delivery, |d| d.label()))));
    if item.fees.is_empty() {
        out.push(line(LineKind::Fact, 0, "收费：不收费"));
    } else {
        out.push(line(LineKind::Fact, 0, "收费："));
        for fee in &item.fees {
            out.push(line(
                LineKind::Bullet,
                1,
                format!("{}：{}（依据：{}）", fee.name, fee.standard, fee.basis),
            ));
        }
    }
    match &item.lenient {
        Some(l) if l.allowed => {
            let mut text = format!("容缺受理：允许，补正期限 {} 个工作日", l.supplement_days.unwrap_or(0));
            if let Some(rule) = l.on_expiry {
                text.push_str(&format!("，逾期{}", rule.label()));
            }
            if l.withhold_result {
                text.push_str("，补齐前不出件");
            }
            if l.credit_record {
                text.push_str("，逾期记入信用记录");
            }
            out.push(line(LineKind::Fact, 0, text));
        }
        _ => out.push(line(LineKind::Fact, 0, "容缺受理：不适用")),
    }
    if let Some(c) = item.informed_commitment.as_ref().filter(|c| c.allowed) {
        out.push(line(LineKind::Fact, 0, format!("告知承诺制：适用（{}），不同于容缺受理", c.list)));
    }
    if let Some(phone) = &item.phone {
        out.push(line(LineKind::Fact, 0, format!("咨询电话：{phone}")));
    }
    out.push(line(LineKind::Heading, 0, "设定依据"));
    out.extend(item.legal_basis.iter().map(|b| line(LineKind::Bullet, 1, b)));
    if !item.requirements.is_empty() {
        out.push(line(LineKind::Heading, 0, "申请条件"));
        out.extend(item.requirements.iter().map(|r| line(LineKind::Bullet, 1, r)));
    }
    if !item.situations.is_empty() {
        // The questions the clerk must answer at intake, with their groups and refusing answers.
        out.push(line(LineKind::Heading, 0, "受理时须回答的情形"));
        for g in &item.groups {
            let names: Vec<&str> = g
                .situations
                .iter()
                .filter_map(|id| item.situations.iter().find(|s| &s.id == id))
                .map(|s| s.label.as_str())
                .collect();
            out.push(line(
                LineKind::Bullet,
                1,
                format!("{}（{}）：{}", g.label, g.rule.label(), names.join(" / ")),
            ));
        }
        for s in item
            .situations
            .iter()
            .filter(|s| s.ineligible_if.is_some() || super::conditions::group_of(item, &s.id).is_none())
        {
            let text = match s.ineligible_if {
                Some(bad) => format!(
                    "{}（资格条件：答“{}”不予受理，依据{}）",
                    s.label,
                    if bad { "是" } else { "否" },
                    s.basis.join("；")
                ),
                None => format!("{}（是/否）", s.label),
            };
            out.push(line(LineKind::Bullet, 1, text));
        }
    }
    out.push(line(LineKind::Heading, 0, format!("申请材料（{} 项）", item.materials.len())));
    for (i, m) in item.materials.iter().enumerate() {
        let necessity = match m.necessity {
            Necessity::Required => "必要".to_string(),
            Necessity::Conditional => format!("情形必要：{}", m.condition.as_deref().unwrap_or("")),
        };
        let mut tags = vec![necessity];
        if m.key {
            tags.push("核心材料".into());
        }
        if m.lenient {
            tags.push(match &m.lenient_condition {
                Some(c) => format!("附条件可容缺（{c}，须主管确认）"),
                None => "可容缺".into(),
            });
        }
        if m.shared_data {
            tags.push("数据共享获取".into());
        }
        out.push(line(LineKind::Material, 0, format!("{}. {}  [{}]", i + 1, m.name, tags.join(" | "))));
        // 来源渠道 only when it says more than the source (数据共享, 电子证照).
        let channel = match m.channel().label() {
            same if same == m.source.label() => String::new(),
            other => format!(" | 来源渠道：{other}"),
        };
        let quantity = match (m.originals, m.copies) {
            (0, c) => format!("复印件 {c} 份"),
            (o, 0) => format!("原件 {o} 份"),
            (o, c) => format!("原件 {o} 份，复印件 {c} 份"),
        };
        out.push(line(
            LineKind::Fact,
            1,
            format!("{quantity} | {} | {} | {}{channel}", m.medium.label(), m.source.label(), m.kind.label()),
        ));
        if let Some(c) = &m.informed_commitment {
            out.push(line(
                LineKind::Note,
                1,
                format!(
                    "可告知承诺替代：{}；受理后 {}内核查；承诺不实：{}",
                    c.text,
                    c.check.text(),
                    c.consequence
                ),
            ));
        }
        for (label, value) in [("要求依据", &m.basis), ("填写说明", &m.fill_notes)] {
            if let Some(v) = value {
                out.push(line(LineKind::Note, 1, format!("{label}：{v}")));
            }
        }
        out.extend(m.checkpoints.iter().map(|c| line(LineKind::Bullet, 1, format!("- {c}"))));
        if !m.defects.is_empty() {
            let defects: Vec<String> = m
                .defects
                .iter()
                .map(|d| if d.correctable { format!("{}（可当场更正）", d.text) } else { d.text.clone() })
                .collect();
            out.push(line(LineKind::Note, 1, format!("常见缺陷：{}", defects.join("；"))));
        }
        for (label, value) in [("空白表格", &m.blank_form), ("示例样表", &m.sample), ("说明", &m.note)]
        {
            if let Some(v) = value {
                out.push(line(LineKind::Note, 1, format!("{label}：{v}")));
            }
        }
    }
    if !item.checked_against.is_empty() {
        let on = item.checked_on.map(|d| format!("（核对日期 {d}）")).unwrap_or_default();
        out.push(line(LineKind::Heading, 0, format!("核对来源{on}")));
        out.extend(item.checked_against.iter().map(|c| line(LineKind::Bullet, 1, c)));
    }
    if let Some(note) = &item.note {
        out.push(line(LineKind::Heading, 0, "备注"));
        out.push(line(LineKind::Note, 1, note));
    }
    out
}

/// The guide as plain text, for `yichuang kb show`.
pub fn plain(item: &Item) -> String {
    guide(item).iter().map(|l| format!("{}{}\n", "  ".repeat(usize::from(l.indent)), l.text)).collect()
}
