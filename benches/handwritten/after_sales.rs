//! `rules/after-sales-quality.triage` decided by hand: what a careful engineer would write
//! instead of the policy, as the benchmarks' baseline. It decides what triage decides and
//! writes the same JSON as `triage eval` at its default trace level, byte for byte.

use std::borrow::Cow;
use std::ops::Range;

use chrono::{DateTime, Duration, FixedOffset};
use serde::Deserialize;

use super::calendar::{self, Calendar};

/// A ticket: the fields the policy declares. Other fields are skipped; `Option` fields
/// (facts learnt later) are unknown when absent or `null`.
#[derive(Debug, Deserialize)]
pub struct Ticket<'a> {
    /// The ticket's id, borrowed from the JSON text unless it has escapes.
    #[serde(borrow)]
    pub id: Cow<'a, str>,
    /// 反馈时间.
    #[serde(deserialize_with = "calendar::rfc3339")]
    pub received_at: DateTime<FixedOffset>,
    /// What the complaint puts at stake.
    pub impact: Impact,
    /// 同一产品再次故障.
    pub repeat_failure: bool,
    /// 服务承诺未按时兑现.
    pub promise_broken: bool,
    /// 复杂问题，可能需要延长解决时限.
    #[serde(default)]
    pub complex: Option<bool>,
    /// 处理完成时间.
    #[serde(default, deserialize_with = "calendar::optional_rfc3339")]
    pub completed_at: Option<DateTime<FixedOffset>>,
}

/// `impact.*`: any of the five flags makes a complaint urgent; `normal_use` makes it
/// important.
#[derive(Debug, Deserialize)]
pub struct Impact {
    /// 可能造成重大损失.
    pub major_loss: bool,
    /// 群体投诉.
    pub group_incident: bool,
    /// 媒体关注.
    pub media: bool,
    /// 安全问题.
    pub safety: bool,
    /// 重要数据丢失.
    pub data_loss: bool,
    /// 影响客户正常使用体验，但未造成重大损失.
    #[serde(default)]
    pub normal_use: Option<bool>,
}

/// The grade scale, most severe first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[allow(clippy::upper_case_acronyms)] // Roman numerals, as the policy writes them.
pub enum Grade {
    /// 紧急.
    I,
    /// 重要.
    II,
    /// 一般, the policy's default.
    #[default]
    III,
}

/// Who must act.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// 售后主管.
    AfterSalesSupervisor,
    /// 技术支持.
    TechnicalSupport,
    /// 法务.
    Legal,
    /// 模块负责人.
    ModuleOwner,
    /// 客服专员.
    ServiceAgent,
    /// 一线客服.
    Frontline,
}

/// The obligations a decision can trigger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// 售后部门负责人审批.
    ApprovalByDepartmentHead,
    /// 模块负责人审批.
    ApprovalByModuleOwner,
    /// 复杂问题延长至7个工作日，需提前告知客户.
    NotifyCustomerOfExtension,
}

/// The deadlines, in the order the policy first sets them (whatever the grade), which is
/// the order a decision lists them in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deadline {
    /// First response.
    Respond,
    /// A plan for the fix (grades I and II).
    Plan,
    /// The fix.
    Resolve,
    /// The fix, extended with notice to the customer (grade III, complex).
    ResolveExtended,
    /// Feedback to the customer after completion.
    Feedback,
}

/// The policy's rules, in file order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// `urgent`: grade I.
    Urgent,
    /// `important`: grade II.
    Important,
    /// `normal_use_affected`: grade II.
    NormalUseAffected,
    /// `grade_i_handling`.
    GradeIHandling,
    /// `grade_ii_handling`.
    GradeIIHandling,
    /// `grade_iii_handling`.
    GradeIIIHandling,
    /// `complex_extension`.
    ComplexExtension,
    /// `feedback_after_completion`.
    FeedbackAfterCompletion,
}

/// Something a rule did, as its trace entry tells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Set the grade.
    Grade(Grade),
    /// Routed to a role not routed to before.
    Route(Role),
    /// Triggered an action not triggered before.
    Action(Action),
    /// Set a deadline.
    Deadline(Deadline),
    /// Could not set a deadline: the working days it counts run off the calendar.
    Unreckoned(Deadline),
}

/// A rule that fired, and its effects: a range of [`Decision::effects`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The rule.
    pub rule: Rule,
    /// Where its effects are in [`Decision::effects`].
    pub effects: Range<usize>,
}

/// What the policy decided for one ticket. Deciding again into the same value reuses its
/// buffers.
#[derive(Debug, Clone, Default)]
pub struct Decision {
    /// The ticket's id.
    pub ticket: String,
    /// The most severe grade a rule set, else the default.
    pub grade: Grade,
    /// Who must act, lead first, without duplicates.
    pub route: Vec<Role>,
    /// The obligations triggered, in rule order, without duplicates.
    pub actions: Vec<Action>,
    /// Each deadline, indexed by [`Deadline`], when set.
    pub deadlines: [Option<DateTime<FixedOffset>>; 5],
    /// Each deadline's early warning, indexed by [`Deadline`]: this policy gives at most one.
    pub warnings: [Option<DateTime<FixedOffset>>; 5],
    /// The rules that fired, in evaluation order: grade rules first, then the others.
    pub trace: Vec<Entry>,
    /// The effects of all trace entries, entry after entry.
    pub effects: Vec<Effect>,
    /// Whether a working-day count ran off the calendar. triage then lists a problem, which
    /// [`write_json`] does not write: such a decision is not comparable.
    pub outside_calendar: bool,
}

impl Grade {
    /// Its name in the policy.
    pub fn name(self) -> &'static str {
        match self {
            Grade::I => "I",
            Grade::II => "II",
            Grade::III => "III",
        }
    }
}

impl Role {
    /// Its name in the policy.
    pub fn name(self) -> &'static str {
        match self {
            Role::AfterSalesSupervisor => "after_sales_supervisor",
            Role::TechnicalSupport => "technical_support",
            Role::Legal => "legal",
            Role::ModuleOwner => "module_owner",
            Role::ServiceAgent => "service_agent",
            Role::Frontline => "frontline",
        }
    }
}

impl Action {
    /// Its name in the policy.
    pub fn name(self) -> &'static str {
        match self {
            Action::ApprovalByDepartmentHead => "approval_by_department_head",
            Action::ApprovalByModuleOwner => "approval_by_module_owner",
            Action::NotifyCustomerOfExtension => "notify_customer_of_extension",
        }
    }
}

impl Deadline {
    /// Every deadline, in [`Decision::deadlines`] order.
    pub const ALL: [Deadline; 5] =
        [Deadline::Respond, Deadline::Plan, Deadline::Resolve, Deadline::ResolveExtended, Deadline::Feedback];

    /// Its name in the policy.
    pub fn name(self) -> &'static str {
        match self {
            Deadline::Respond => "respond",
            Deadline::Plan => "plan",
            Deadline::Resolve => "resolve",
            Deadline::ResolveExtended => "resolve_extended",
            Deadline::Feedback => "feedback",
        }
    }
}

impl Rule {
    /// Its name in the policy.
    pub fn name(self) -> &'static str {
        match self {
            Rule::Urgent => "urgent",
            Rule::Important => "important",
            Rule::NormalUseAffected => "normal_use_affected",
            Rule::GradeIHandling => "grade_i_handling",
            Rule::GradeIIHandling => "grade_ii_handling",
            Rule::GradeIIIHandling => "grade_iii_handling",
            Rule::ComplexExtension => "complex_extension",
            Rule::FeedbackAfterCompletion => "feedback_after_completion",
        }
    }

    /// The clauses of the guide it cites.
    pub fn clauses(self) -> &'static [&'static str] {
        match self {
            Rule::Urgent | Rule::Important | Rule::NormalUseAffected => &["AS-4"],
            Rule::GradeIHandling | Rule::GradeIIHandling => &["AS-5", "AS-6", "AS-7", "AS-12"],
            Rule::GradeIIIHandling => &["AS-5", "AS-6", "AS-7"],
            Rule::ComplexExtension => &["AS-6"],
            Rule::FeedbackAfterCompletion => &["AS-8", "AS-12"],
        }
    }
}

impl Decision {
    /// The effects of a trace entry, in order.
    pub fn effects_of(&self, entry: &Entry) -> &[Effect] {
        &self.effects[entry.effects.clone()]
    }

    fn clear(&mut self) {
        self.ticket.clear();
        self.grade = Grade::default();
        self.route.clear();
        self.actions.clear();
        self.deadlines = [None; 5];
        self.warnings = [None; 5];
        self.trace.clear();
        self.effects.clear();
        self.outside_calendar = false;
    }

    /// Open the trace entry of a rule that fired.
    fn fire(&mut self, rule: Rule) {
        let at = self.effects.len();
        self.trace.push(Entry { rule, effects: at..at });
    }

    /// Record an effect of the rule that fired last.
    fn effect(&mut self, effect: Effect) {
        self.effects.push(effect);
        if let Some(entry) = self.trace.last_mut() {
            entry.effects.end = self.effects.len();
        }
    }

    fn route(&mut self, role: Role) {
        if !self.route.contains(&role) {
            self.route.push(role);
            self.effect(Effect::Route(role));
        }
    }

    fn action(&mut self, action: Action) {
        if !self.actions.contains(&action) {
            self.actions.push(action);
            self.effect(Effect::Action(action));
        }
    }

    /// Set a deadline, or note that the calendar could not reckon it.
    fn set_deadline(&mut self, d: Deadline, at: Option<DateTime<FixedOffset>>) {
        self.deadlines[d as usize] = at;
        match at {
            Some(_) => self.effect(Effect::Deadline(d)),
            None => {
                self.outside_calendar = true;
                self.effect(Effect::Unreckoned(d));
            }
        }
    }

    /// Set a deadline's early warning, or note that the calendar could not reckon it (the
    /// deadline stands either way).
    fn set_warning(&mut self, d: Deadline, at: Option<DateTime<FixedOffset>>) {
        self.warnings[d as usize] = at;
        self.outside_calendar |= at.is_none();
    }
}

/// Decide `t` into `out`, which is cleared first.
pub fn decide_into(t: &Ticket<'_>, cal: &Calendar, out: &mut Decision) {
    out.clear();
    out.ticket.push_str(&t.id);
    let received = calendar::shanghai(t.received_at);
    let hours = Duration::hours;
    let impact = &t.impact;

    // The grade rules run first, each that fires with its own trace entry; the most severe
    // grade wins. `impact.normal_use` unknown never fires its rule.
    let urgent = impact.major_loss || impact.group_incident || impact.media || impact.safety || impact.data_loss;
    let important = t.repeat_failure || t.promise_broken;
    let normal_use = impact.normal_use == Some(true);
    if urgent {
        out.fire(Rule::Urgent);
        out.effect(Effect::Grade(Grade::I));
    }
    if important {
        out.fire(Rule::Important);
        out.effect(Effect::Grade(Grade::II));
    }
    if normal_use {
        out.fire(Rule::NormalUseAffected);
        out.effect(Effect::Grade(Grade::II));
    }
    out.grade = if urgent {
        Grade::I
    } else if important || normal_use {
        Grade::II
    } else {
        Grade::III
    };

    // `warn at 75%` of a clock duration: three quarters of it, to the second.
    let three_quarters = |d: Duration| received + Duration::seconds(d.num_seconds() * 3 / 4);
    // Then exactly one handling rule, in the order the policy writes its effects.
    match out.grade {
        Grade::I => {
            out.fire(Rule::GradeIHandling);
            out.route(Role::AfterSalesSupervisor);
            out.route(Role::TechnicalSupport);
            if impact.data_loss || impact.safety {
                out.route(Role::Legal);
            }
            out.set_deadline(Deadline::Respond, Some(received + hours(2)));
            out.set_warning(Deadline::Respond, Some(three_quarters(hours(2))));
            out.set_deadline(Deadline::Plan, Some(received + hours(24)));
            out.set_warning(Deadline::Plan, Some(three_quarters(hours(24))));
            out.set_deadline(Deadline::Resolve, Some(received + hours(72)));
            out.set_warning(Deadline::Resolve, Some(three_quarters(hours(72))));
            out.action(Action::ApprovalByDepartmentHead);
        }
        Grade::II => {
            out.fire(Rule::GradeIIHandling);
            out.route(Role::ModuleOwner);
            out.route(Role::ServiceAgent);
            out.set_deadline(Deadline::Respond, Some(received + hours(4)));
            out.set_warning(Deadline::Respond, Some(three_quarters(hours(4))));
            out.set_deadline(Deadline::Plan, Some(received + hours(48)));
            out.set_warning(Deadline::Plan, Some(three_quarters(hours(48))));
            let resolve = cal.add_working_days(received, 5);
            out.set_deadline(Deadline::Resolve, resolve);
            if let Some(at) = resolve {
                out.set_warning(Deadline::Resolve, cal.sub_working_days(at, 1));
            }
            out.action(Action::ApprovalByDepartmentHead);
        }
        Grade::III => {
            out.fire(Rule::GradeIIIHandling);
            out.route(Role::Frontline);
            out.set_deadline(Deadline::Respond, Some(received + hours(8)));
            out.set_deadline(Deadline::Resolve, cal.add_working_days(received, 3));
            out.action(Action::ApprovalByModuleOwner);
        }
    }

    // AS-6: only a complex general problem may be extended; unknown is not complex.
    if out.grade == Grade::III && t.complex == Some(true) {
        out.fire(Rule::ComplexExtension);
        out.set_deadline(Deadline::ResolveExtended, cal.add_working_days(received, 7));
        out.action(Action::NotifyCustomerOfExtension);
    }

    // AS-8: feedback once completed; grades I and II warn 2 clock hours before it (AS-12).
    if let Some(completed) = t.completed_at {
        out.fire(Rule::FeedbackAfterCompletion);
        let feedback = cal.add_working_days(calendar::shanghai(completed), 1);
        out.set_deadline(Deadline::Feedback, feedback);
        if let (Some(at), Grade::I | Grade::II) = (feedback, out.grade) {
            out.set_warning(Deadline::Feedback, Some(at - hours(2)));
        }
    }
}

/// Append the decision as `triage eval` writes it at its default trace level (rules), on one
/// line, without the line break.
pub fn write_json(d: &Decision, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"ticket\":");
    serde_json::to_writer(&mut *out, &d.ticket).expect("writing to a Vec cannot fail");
    out.extend_from_slice(b",\"policy\":\"after_sales_quality\",\"grade\":\"");
    out.extend_from_slice(d.grade.name().as_bytes());
    out.extend_from_slice(b"\",\"route\":");
    write_names(out, d.route.iter().map(|r| r.name()));
    out.extend_from_slice(b",\"exempt\":[],\"actions\":");
    write_names(out, d.actions.iter().map(|a| a.name()));

    out.extend_from_slice(b",\"deadlines\":{");
    let set = || Deadline::ALL.into_iter().filter_map(|name| Some((name, d.deadlines[name as usize]?)));
    for (i, (name, at)) in set().enumerate() {
        write_key(out, i, name.name());
        calendar::write_instant(out, at);
    }
    out.extend_from_slice(b"},\"warnings\":{");
    // Only deadlines that stand and have a warning, in the order of the deadlines.
    let warned = set().filter_map(|(name, _)| Some((name, d.warnings[name as usize]?)));
    for (i, (name, at)) in warned.enumerate() {
        write_key(out, i, name.name());
        out.push(b'[');
        calendar::write_instant(out, at);
        out.push(b']');
    }
    out.extend_from_slice(b"},\"values\":{},\"trace\":[");

    for (i, entry) in d.trace.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"rule\":\"");
        out.extend_from_slice(entry.rule.name().as_bytes());
        out.extend_from_slice(b"\",\"clauses\":");
        write_names(out, entry.rule.clauses().iter().copied());
        out.extend_from_slice(b",\"effects\":[");
        for (j, effect) in d.effects_of(entry).iter().enumerate() {
            if j > 0 {
                out.push(b',');
            }
            let (key, name) = match *effect {
                Effect::Grade(g) => ("grade", g.name()),
                Effect::Route(r) => ("route", r.name()),
                Effect::Action(a) => ("action", a.name()),
                Effect::Deadline(deadline) | Effect::Unreckoned(deadline) => ("deadline", deadline.name()),
            };
            out.push(b'{');
            write_key(out, 0, key);
            write_name(out, name);
            if let Effect::Unreckoned(_) = effect {
                out.extend_from_slice(b",\"unset\":\"problem\"");
            }
            out.push(b'}');
        }
        out.extend_from_slice(b"]}");
    }
    out.extend_from_slice(b"]}");
}

/// Read a ticket from one line of JSON, decide it into `scratch` and append its JSON line
/// to `out`.
pub fn decide_line(
    line: &str,
    cal: &Calendar,
    scratch: &mut Decision,
    out: &mut Vec<u8>,
) -> Result<(), serde_json::Error> {
    let ticket: Ticket<'_> = serde_json::from_str(line)?;
    decide_into(&ticket, cal, scratch);
    write_json(scratch, out);
    out.push(b'\n');
    Ok(())
}

// The policy's names and clauses are identifiers and ASCII labels: quoting them needs no
// escaping, unlike the ticket's id.

fn write_name(out: &mut Vec<u8>, name: &str) {
    out.push(b'"');
    out.extend_from_slice(name.as_bytes());
    out.push(b'"');
}

/// `"key":`, after a comma unless it is the object's first key.
fn write_key(out: &mut Vec<u8>, i: usize, key: &str) {
    if i > 0 {
        out.push(b',');
    }
    write_name(out, key);
    out.push(b':');
}

fn write_names<'a>(out: &mut Vec<u8>, names: impl Iterator<Item = &'a str>) {
    out.push(b'[');
    for (i, name) in names.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_name(out, name);
    }
    out.push(b']');
}
