//! `rules/dongguan-service-quality.triage` decided by hand: what a careful engineer would
//! write instead of the policy, as the benchmarks' baseline. It decides what triage decides
//! and writes the same JSON as `triage eval` at its default trace level, byte for byte.
//!
//! The policy needs no working-day calendar: its call windows apply every day, and its
//! closing limit is clock time.

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;

use chrono::{DateTime, Duration, FixedOffset};
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;
use unicode_properties::{GeneralCategoryGroup, UnicodeGeneralCategory};

use super::calendar;

/// A ticket: the fields the policy declares. Other fields are skipped; `Option` fields are
/// unknown when absent or `null`.
#[derive(Debug, Deserialize)]
pub struct Ticket<'a> {
    /// The ticket's id, borrowed from the JSON text unless it has escapes.
    #[serde(borrow)]
    pub id: Cow<'a, str>,
    /// 类型.
    pub kind: Kind,
    /// 投诉类别.
    pub category: Categories,
    /// 客户接受解释与安抚，同意撤销投诉.
    pub soothed: bool,
    /// 落单前已查证并做解释与安抚.
    pub soothing_attempted: bool,
    /// 综援查核：属客服代表服务差错（未查核为空）.
    pub agent_fault: Option<bool>,
    /// 被投诉的客服代表已离职.
    pub agent_departed: bool,
    /// 被投诉的客服代表工号.
    pub agents: Agents,
    /// 客户同时在途的服务质量投诉（含本单）.
    pub open_service_complaints: i64,
    /// 投诉专席专业户.
    pub specialist_complainer: bool,
    /// `customer.*`.
    pub customer: Customer,
    /// 差错通知短信到达被投诉客服代表的时间.
    #[serde(default, deserialize_with = "calendar::optional_rfc3339")]
    pub notified_at: Option<DateTime<FixedOffset>>,
    /// `callback.*`.
    pub callback: Callback,
    /// 综援员提取工单时间.
    #[serde(default, deserialize_with = "calendar::optional_rfc3339")]
    pub picked_up_at: Option<DateTime<FixedOffset>>,
    /// 建议客户给改进机会的次数.
    pub second_chance_offers: i64,
    /// 客服代表一方的通话内容（转写）, borrowed unless it has escapes.
    #[serde(borrow)]
    pub transcript: Cow<'a, str>,
}

/// `kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A complaint.
    Complaint,
    /// A request.
    Request,
    /// A suggestion.
    Suggestion,
    /// Praise.
    Praise,
}

/// A complaint category: a member of [`Categories`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// The agent's wording, skill or etiquette.
    Attitude,
    /// Slowness.
    Efficiency,
    /// A wrong explanation.
    Competence,
    /// A breach of the rules.
    Compliance,
    /// A missed order, a wrong lookup or a wrong transaction.
    OperationError,
    /// A broken promise.
    Promise,
    /// The product.
    ProductQuality,
    /// A bill.
    Billing,
    /// The network.
    Network,
    /// Anything else.
    Other,
}

/// `category`: a set of categories, one bit each, read from a JSON list without allocating.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Categories(u16);

impl Categories {
    /// The categories that make a complaint one about an agent's service (DG-1).
    const SERVICE_QUALITY: Categories = Categories(
        1 << Category::Attitude as u16
            | 1 << Category::Competence as u16
            | 1 << Category::Promise as u16
            | 1 << Category::OperationError as u16,
    );

    fn intersects(self, other: Categories) -> bool {
        self.0 & other.0 != 0
    }
}

impl<'de> Deserialize<'de> for Categories {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Bits;

        impl<'de> Visitor<'de> for Bits {
            type Value = Categories;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of categories")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Categories, A::Error> {
                let mut bits = 0;
                while let Some(c) = seq.next_element::<Category>()? {
                    bits |= 1 << c as u16;
                }
                Ok(Categories(bits))
            }
        }

        d.deserialize_seq(Bits)
    }
}

/// `agents`, a set of texts: all the policy asks of it is `count(agents) > 1`, so only
/// whether it names more than one distinct agent is kept (a repeated id counts once, as in
/// a set).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Agents {
    /// Whether two different agents are named.
    pub several: bool,
}

impl<'de> Deserialize<'de> for Agents {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Distinct;

        impl<'de> Visitor<'de> for Distinct {
            type Value = Agents;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of agent ids")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Agents, A::Error> {
                let mut first: Option<Cow<'de, str>> = None;
                let mut several = false;
                while let Some(AgentId(id)) = seq.next_element()? {
                    match &first {
                        None => first = Some(id),
                        Some(f) => several |= *f != id,
                    }
                }
                Ok(Agents { several })
            }
        }

        d.deserialize_seq(Distinct)
    }
}

/// An agent's id, borrowed from the JSON text unless it has escapes.
struct AgentId<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for AgentId<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Text;

        impl<'de> Visitor<'de> for Text {
            type Value = AgentId<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a text")
            }

            fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<AgentId<'de>, E> {
                Ok(AgentId(Cow::Borrowed(s)))
            }

            fn visit_str<E: de::Error>(self, s: &str) -> Result<AgentId<'de>, E> {
                Ok(AgentId(Cow::Owned(s.to_owned())))
            }
        }

        d.deserialize_str(Text)
    }
}

/// `customer.*`.
#[derive(Debug, Deserialize)]
pub struct Customer {
    /// 客户等级.
    pub tier: Tier,
}

/// `customer.tier`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    /// An ordinary customer.
    Normal,
    /// VIP.
    Vip,
    /// 全球通.
    Gotone,
    /// 双高.
    DoubleHigh,
    /// A key account.
    KeyAccount,
    /// A group customer.
    Group,
}

/// `callback.*`: the apology calls so far.
#[derive(Debug, Deserialize)]
pub struct Callback {
    /// 已外呼致歉次数.
    pub attempts: i64,
    /// 外呼时客户拒绝接听（挂机）.
    pub refused: bool,
    /// 客户接受致歉（未答复为空）.
    pub accepted: Option<bool>,
}

/// Who must act.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// 综援室.
    ComplaintSupport,
    /// 话务组长（监督外呼致歉）.
    TeamLeader,
    /// 现行投诉处理流程.
    StandardProcess,
}

/// The obligations a decision can trigger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Record the withdrawal.
    RecordWithdrawal,
    /// Notify the agent and their team leader.
    NotifyAgentAndLeader,
    /// The apology call.
    ApologyCallback,
    /// An apology text message instead of more calls, when the customer refused.
    ApologySms,
    /// Write down why the apology calls failed.
    RecordCallFailure,
    /// The team leader's note for a departed agent.
    LeaderNote,
    /// Close without replying to the customer.
    CloseWithoutReply,
    /// Review of the call's quality.
    QaReview,
    /// Review of whoever opened the ticket without soothing.
    QaReviewOpener,
}

/// The deadlines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deadline {
    /// The apology call, by the end of the day's call windows.
    Callback,
    /// Closing the ticket, 48 h after it was picked up.
    Close,
}

/// The computed values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value {
    /// The first permitted moment for the apology call.
    FirstCall,
    /// How many apology calls are still allowed.
    CallsLeft,
}

/// The policy's rules, in file order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// `not_service_quality`.
    NotServiceQuality,
    /// `withdrawn`.
    Withdrawn,
    /// `complaint_ticket`.
    ComplaintTicket,
    /// `not_agent_fault`.
    NotAgentFault,
    /// `agent_fault_notice`.
    AgentFaultNotice,
    /// `apology_calls`.
    ApologyCalls,
    /// `apology_by_sms`.
    ApologyBySms,
    /// `attempts_used`.
    AttemptsUsed,
    /// `apology_accepted`.
    ApologyAccepted,
    /// `apology_not_accepted`.
    ApologyNotAccepted,
    /// `close_limit`.
    CloseLimit,
    /// `departed_agent`.
    DepartedAgent,
    /// `agent_conduct`.
    AgentConduct,
    /// `opener_skipped_soothing`.
    OpenerSkippedSoothing,
}

/// The policy's exemptions, in file order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exemption {
    /// `specialist_complainer`.
    SpecialistComplainer,
    /// `multiple_agents`.
    MultipleAgents,
    /// `high_value_customer`.
    HighValueCustomer,
}

/// A rule or an exemption that fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fired {
    /// A rule.
    Rule(Rule),
    /// An exemption.
    Exemption(Exemption),
}

/// A deadline or value that belongs to `apology_callback`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owned {
    /// A deadline.
    Deadline(Deadline),
    /// A value.
    Value(Value),
}

/// Something a rule or exemption did, as its trace entry tells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Routed to a role not routed to before.
    Route(Role),
    /// Triggered an action not triggered before.
    Action(Action),
    /// Set a deadline.
    Deadline(Deadline),
    /// Did not set a deadline: the time it counts from is missing.
    MissingTime(Deadline),
    /// Set a value.
    Value(Value),
    /// Did not set a value: a value it needs is missing.
    Undefined(Value),
    /// Could not compute a value: the arithmetic overflows.
    Overflow(Value),
    /// Removed an action (an exemption).
    Exempt(Action),
    /// A deadline or value this rule set was dropped, because the exemptions removed
    /// `apology_callback`. It is the only owner in the policy, and the rule that sets what it
    /// owns triggers it too, so it is never dropped as "not triggered".
    Dropped(Owned),
}

/// A rule or exemption that fired, and its effects: a range of [`Decision::effects`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The rule or exemption.
    pub fired: Fired,
    /// Where its effects are in [`Decision::effects`].
    pub effects: Range<usize>,
}

/// What the policy decided for one ticket. Deciding again into the same value reuses its
/// buffers. The policy has no grades.
#[derive(Debug, Clone, Default)]
pub struct Decision {
    /// The ticket's id.
    pub ticket: String,
    /// Who must act, lead first, without duplicates.
    pub route: Vec<Role>,
    /// The exemptions that removed an action, in file order.
    pub exempt: Vec<Exemption>,
    /// The obligations triggered, exempted ones removed, in rule order.
    pub actions: Vec<Action>,
    /// Deadline `callback`, which is set before `close` whenever both are.
    pub callback: Option<DateTime<FixedOffset>>,
    /// Deadline `close`.
    pub close: Option<DateTime<FixedOffset>>,
    /// Value `first_call`, which is set before `calls_left` whenever both are.
    pub first_call: Option<DateTime<FixedOffset>>,
    /// Value `calls_left`.
    pub calls_left: Option<i64>,
    /// The rules that fired, in file order, then the exemptions.
    pub trace: Vec<Entry>,
    /// The effects of all trace entries, entry after entry.
    pub effects: Vec<Effect>,
    /// Whether something could not be computed. triage then lists a problem, which
    /// [`write_json`] does not write: such a decision is not comparable.
    pub overflow: bool,
    /// The transcript's characters that count for phrases, each with its clause: a buffer
    /// reused from ticket to ticket, not part of the decision.
    pub counted: Vec<(char, u32)>,
}

impl Role {
    /// Its name in the policy.
    pub fn name(self) -> &'static str {
        match self {
            Role::ComplaintSupport => "complaint_support",
            Role::TeamLeader => "team_leader",
            Role::StandardProcess => "standard_process",
        }
    }
}

impl Action {
    /// The actions every exemption of the policy removes, in the order it names them.
    const APOLOGIES: [Action; 3] = [Action::NotifyAgentAndLeader, Action::ApologyCallback, Action::ApologySms];

    /// Its name in the policy.
    pub fn name(self) -> &'static str {
        match self {
            Action::RecordWithdrawal => "record_withdrawal",
            Action::NotifyAgentAndLeader => "notify_agent_and_leader",
            Action::ApologyCallback => "apology_callback",
            Action::ApologySms => "apology_sms",
            Action::RecordCallFailure => "record_call_failure",
            Action::LeaderNote => "leader_note",
            Action::CloseWithoutReply => "close_without_reply",
            Action::QaReview => "qa_review",
            Action::QaReviewOpener => "qa_review_opener",
        }
    }
}

impl Deadline {
    /// Its name in the policy.
    pub fn name(self) -> &'static str {
        match self {
            Deadline::Callback => "callback",
            Deadline::Close => "close",
        }
    }
}

impl Value {
    /// Its name in the policy.
    pub fn name(self) -> &'static str {
        match self {
            Value::FirstCall => "first_call",
            Value::CallsLeft => "calls_left",
        }
    }
}

impl Rule {
    /// Its name in the policy.
    pub fn name(self) -> &'static str {
        match self {
            Rule::NotServiceQuality => "not_service_quality",
            Rule::Withdrawn => "withdrawn",
            Rule::ComplaintTicket => "complaint_ticket",
            Rule::NotAgentFault => "not_agent_fault",
            Rule::AgentFaultNotice => "agent_fault_notice",
            Rule::ApologyCalls => "apology_calls",
            Rule::ApologyBySms => "apology_by_sms",
            Rule::AttemptsUsed => "attempts_used",
            Rule::ApologyAccepted => "apology_accepted",
            Rule::ApologyNotAccepted => "apology_not_accepted",
            Rule::CloseLimit => "close_limit",
            Rule::DepartedAgent => "departed_agent",
            Rule::AgentConduct => "agent_conduct",
            Rule::OpenerSkippedSoothing => "opener_skipped_soothing",
        }
    }

    /// The clauses of the seed it cites.
    pub fn clauses(self) -> &'static [&'static str] {
        match self {
            Rule::NotServiceQuality => &["DG-1"],
            Rule::Withdrawn => &["DG-2"],
            Rule::ComplaintTicket => &["DG-3"],
            Rule::NotAgentFault | Rule::AgentFaultNotice => &["DG-4"],
            Rule::ApologyCalls => &["DG-4", "DG-5", "DG-9"],
            Rule::ApologyBySms | Rule::AttemptsUsed => &["DG-5"],
            Rule::ApologyAccepted | Rule::ApologyNotAccepted => &["DG-6"],
            Rule::CloseLimit => &["DG-7"],
            Rule::DepartedAgent => &["DG-8"],
            Rule::AgentConduct => &["DG-10"],
            Rule::OpenerSkippedSoothing => &["DG-11"],
        }
    }
}

impl Exemption {
    /// Its name in the policy.
    pub fn name(self) -> &'static str {
        match self {
            Exemption::SpecialistComplainer => "specialist_complainer",
            Exemption::MultipleAgents => "multiple_agents",
            Exemption::HighValueCustomer => "high_value_customer",
        }
    }

    /// The clauses of the seed it cites.
    pub fn clauses(self) -> &'static [&'static str] {
        &["DG-9"]
    }

    /// Why the obligations are waived.
    pub fn reason(self) -> &'static str {
        match self {
            Exemption::SpecialistComplainer => "投诉专席专业户不通知致歉，避免引起客户反感",
            Exemption::MultipleAgents => "一单投诉多个话务员或同时有多宗服务质量投诉，避免多个话务员致电打扰客户",
            Exemption::HighValueCustomer => "高价值客户不通知致歉，避免多次外呼打扰并避免工单超时",
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
        self.route.clear();
        self.exempt.clear();
        self.actions.clear();
        self.callback = None;
        self.close = None;
        self.first_call = None;
        self.calls_left = None;
        self.trace.clear();
        self.effects.clear();
        self.overflow = false;
    }

    /// Open the trace entry of a rule or exemption that fired.
    fn fire(&mut self, fired: Fired) {
        let at = self.effects.len();
        self.trace.push(Entry { fired, effects: at..at });
    }

    fn rule(&mut self, rule: Rule) {
        self.fire(Fired::Rule(rule));
    }

    /// Record an effect of the rule or exemption that fired last.
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
}

/// DG-5's call window `calls`, every day, working or not: half-open periods in seconds after
/// local midnight, in order.
const CALL_WINDOWS: [(i64, i64); 2] = [(8 * 3600 + 30 * 60, 12 * 3600), (14 * 3600 + 30 * 60, 21 * 3600)];

/// `window calls from t`: `t` itself inside a window, else the next opening.
fn calls_from(t: DateTime<FixedOffset>) -> DateTime<FixedOffset> {
    let (day, now) = calendar::local_day(t);
    match CALL_WINDOWS.iter().find(|&&(_, end)| now < end) {
        Some(&(start, _)) if now < start => calendar::at(day, start),
        Some(_) => calendar::shanghai(t),
        None => calendar::at(day + 1, CALL_WINDOWS[0].0),
    }
}

/// `end of window calls from t`: the end of the day's last window, or of the next day's
/// once that has passed.
fn end_of_calls(t: DateTime<FixedOffset>) -> DateTime<FixedOffset> {
    let (day, now) = calendar::local_day(t);
    let end = CALL_WINDOWS[CALL_WINDOWS.len() - 1].1;
    calendar::at(if now < end { day } else { day + 1 }, end)
}

/// The most characters between 撤销/撤消 and 投诉 (`{0-8}`).
const GAP_MAX: usize = 8;

/// Whether a character is white space, which `mentions` removes everywhere.
fn space(c: char) -> bool {
    c.is_whitespace()
}

/// Whether a character is punctuation or a symbol (general categories P* and S*), ASCII or
/// full-width: ignored between a phrase's characters, and the end of a clause.
fn punctuation(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_punctuation();
    }
    if ('\u{4E00}'..='\u{9FFF}').contains(&c) {
        return false; // CJK ideographs, most of a transcript, are letters
    }
    matches!(c.general_category_group(), GeneralCategoryGroup::Punctuation | GeneralCategoryGroup::Symbol)
}

/// The characters of `transcript` that count for phrases, each with the number of its clause
/// (a clause ends at punctuation; white space does not end one), into `out`.
///
/// Widths are not folded: the policy's phrases are all CJK ideographs, which have no other
/// width, and folding changes no count of `XX` except a half-width voiced mark after its
/// kana (ｶﾞ is one character to triage, two here), which these transcripts never hold.
fn counted_chars(transcript: &str, out: &mut Vec<(char, u32)>) {
    out.clear();
    let mut clause = 0;
    let mut after_punctuation = false;
    for c in transcript.chars() {
        if space(c) {
            continue;
        }
        if punctuation(c) {
            after_punctuation = true;
            continue;
        }
        if std::mem::take(&mut after_punctuation) {
            clause += 1;
        }
        out.push((c, clause));
    }
}

/// Whether `word` occurs in `chars` at `at`.
fn at(chars: &[(char, u32)], at: usize, word: &[char]) -> bool {
    chars.get(at..at + word.len()).is_some_and(|w| w.iter().map(|&(c, _)| c).eq(word.iter().copied()))
}

/// Whether `word` occurs anywhere in `chars`.
fn occurs(chars: &[(char, u32)], word: &[char]) -> bool {
    (0..chars.len()).any(|i| at(chars, i, word))
}

/// DG-10's `withdrawal_plea`: 不要投诉 or 别投诉; or 撤销/撤消, then 0 to `GAP_MAX`
/// characters, then 投诉, from 销/消 to 投 in one clause, where 撤销/撤消 does not come
/// straight after 是否 or 确认 in its clause.
fn mentions_withdrawal_plea(chars: &[(char, u32)]) -> bool {
    if occurs(chars, &['不', '要', '投', '诉']) || occurs(chars, &['别', '投', '诉']) {
        return true;
    }
    (0..chars.len()).any(|p| {
        let verb = at(chars, p, &['撤', '销']) || at(chars, p, &['撤', '消']);
        let confirmation = p >= 2
            && (at(chars, p - 2, &['是', '否']) || at(chars, p - 2, &['确', '认']))
            && chars[p - 2].1 == chars[p].1;
        let end = p + 2;
        verb && !confirmation
            && (end..=end + GAP_MAX).any(|q| at(chars, q, &['投', '诉']) && chars[end - 1].1 == chars[q].1)
    })
}

/// Decide `t` into `out`, which is cleared first.
pub fn decide_into(t: &Ticket<'_>, out: &mut Decision) {
    out.clear();
    out.ticket.push_str(&t.id);

    // The policy's `let`s, as plain booleans: whether each is definitely true. Of the
    // optional fields, the times are read only by deadlines and values, and the conditions
    // read `agent_fault` and `callback.accepted` only positively (never under `not`), or
    // through `is set`, which is always known. So a condition that is unknown under
    // three-valued logic is simply false here, and unknown never fires a rule.
    let complaint = t.kind == Kind::Complaint;
    let service_quality = complaint && t.category.intersects(Categories::SERVICE_QUALITY);
    let ticket_opened = service_quality && !t.soothed;
    let at_fault = ticket_opened && t.agent_fault == Some(true);
    // `agent_fault is false`: unknown while complaint support has not verified.
    let not_at_fault = ticket_opened && t.agent_fault == Some(false);
    let apology_due = at_fault && !t.agent_departed;
    let calls_over = t.callback.refused || t.callback.attempts >= 3;
    let answered = t.callback.accepted.is_some();
    let several_agents = t.agents.several || t.open_service_complaints > 1;
    let high_value = matches!(t.customer.tier, Tier::Vip | Tier::Gotone | Tier::DoubleHigh);
    let no_apology = t.specialist_complainer || several_agents || high_value;

    // The rules, in file order.
    if complaint && !service_quality {
        out.rule(Rule::NotServiceQuality);
        out.route(Role::StandardProcess);
    }
    if service_quality && t.soothed {
        out.rule(Rule::Withdrawn);
        out.action(Action::RecordWithdrawal);
    }
    if ticket_opened {
        out.rule(Rule::ComplaintTicket);
        out.route(Role::ComplaintSupport);
    }
    if not_at_fault {
        out.rule(Rule::NotAgentFault);
        out.route(Role::StandardProcess);
    }
    if at_fault {
        out.rule(Rule::AgentFaultNotice);
        out.action(Action::NotifyAgentAndLeader);
        if !no_apology || t.agent_departed {
            out.route(Role::TeamLeader);
        }
    }
    if apology_due && !calls_over && !answered {
        out.rule(Rule::ApologyCalls);
        apology_calls(t, no_apology, out);
    }
    if apology_due && t.callback.refused && !answered {
        out.rule(Rule::ApologyBySms);
        out.action(Action::ApologySms);
        out.action(Action::RecordCallFailure);
    }
    if apology_due && !t.callback.refused && t.callback.attempts >= 3 && !answered {
        out.rule(Rule::AttemptsUsed);
        out.action(Action::RecordCallFailure);
    }
    if apology_due && t.callback.accepted == Some(true) {
        out.rule(Rule::ApologyAccepted);
        out.action(Action::CloseWithoutReply);
    }
    if apology_due && t.callback.accepted == Some(false) {
        out.rule(Rule::ApologyNotAccepted);
        out.route(Role::StandardProcess);
    }
    if ticket_opened {
        out.rule(Rule::CloseLimit);
        match t.picked_up_at {
            Some(picked_up) => {
                out.close = Some(calendar::shanghai(picked_up + Duration::hours(48)));
                out.effect(Effect::Deadline(Deadline::Close));
            }
            None => out.effect(Effect::MissingTime(Deadline::Close)),
        }
    }
    if at_fault && t.agent_departed {
        out.rule(Rule::DepartedAgent);
        out.action(Action::LeaderNote);
    }
    // Both sides are known, so `or` may look at the cheap one first.
    let mut counted = std::mem::take(&mut out.counted);
    let plea = t.second_chance_offers > 3 || {
        counted_chars(&t.transcript, &mut counted);
        mentions_withdrawal_plea(&counted)
    };
    out.counted = counted;
    if plea {
        out.rule(Rule::AgentConduct);
        out.action(Action::QaReview);
    }
    if ticket_opened && !t.soothing_attempted {
        out.rule(Rule::OpenerSkippedSoothing);
        out.action(Action::QaReviewOpener);
    }

    // The exemptions: each that holds and covers a triggered action is named, even when an
    // earlier one already removed the same actions.
    let triggered: [bool; 3] = Action::APOLOGIES.map(|a| out.actions.contains(&a));
    if !triggered.contains(&true) {
        return;
    }
    let exemptions = [
        (Exemption::SpecialistComplainer, t.specialist_complainer),
        (Exemption::MultipleAgents, several_agents),
        (Exemption::HighValueCustomer, high_value),
    ];
    for (exemption, _) in exemptions.into_iter().filter(|&(_, holds)| holds) {
        out.exempt.push(exemption);
        out.fire(Fired::Exemption(exemption));
        for (action, _) in Action::APOLOGIES.into_iter().zip(triggered).filter(|&(_, on)| on) {
            out.effect(Effect::Exempt(action));
        }
    }
    if no_apology {
        out.actions.retain(|a| !Action::APOLOGIES.contains(a));
    }
}

/// Rule `apology_calls`, which has just fired: the call, its deadline and values. They
/// belong to `apology_callback`, so when an exemption will remove it (`no_apology`) they are
/// dropped at once, and the drops are told after the rule's own effects, as triage tells
/// them.
fn apology_calls(t: &Ticket<'_>, no_apology: bool, out: &mut Decision) {
    out.action(Action::ApologyCallback);
    let callback = t.notified_at.map(end_of_calls);
    let first_call = t.notified_at.map(calls_from);
    let calls_left = 3i64.checked_sub(t.callback.attempts);
    out.effect(match callback {
        Some(_) => Effect::Deadline(Deadline::Callback),
        None => Effect::MissingTime(Deadline::Callback),
    });
    out.effect(match first_call {
        Some(_) => Effect::Value(Value::FirstCall),
        None => Effect::Undefined(Value::FirstCall),
    });
    out.effect(match calls_left {
        Some(_) => Effect::Value(Value::CallsLeft),
        None => Effect::Overflow(Value::CallsLeft),
    });
    out.overflow |= calls_left.is_none();
    if no_apology {
        let set = [
            (callback.is_some(), Owned::Deadline(Deadline::Callback)),
            (first_call.is_some(), Owned::Value(Value::FirstCall)),
            (calls_left.is_some(), Owned::Value(Value::CallsLeft)),
        ];
        for (_, owned) in set.into_iter().filter(|&(set, _)| set) {
            out.effect(Effect::Dropped(owned));
        }
    } else {
        out.callback = callback;
        out.first_call = first_call;
        out.calls_left = calls_left;
    }
}

/// Append the decision as `triage eval` writes it at its default trace level (rules), on one
/// line, without the line break.
pub fn write_json(d: &Decision, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"ticket\":");
    serde_json::to_writer(&mut *out, &d.ticket).expect("writing to a Vec cannot fail");
    out.extend_from_slice(b",\"policy\":\"dongguan_service_quality\",\"grade\":null,\"route\":");
    write_names(out, d.route.iter().map(|r| r.name()));
    out.extend_from_slice(b",\"exempt\":");
    write_names(out, d.exempt.iter().map(|e| e.name()));
    out.extend_from_slice(b",\"actions\":");
    write_names(out, d.actions.iter().map(|a| a.name()));

    out.extend_from_slice(b",\"deadlines\":{");
    let deadlines = [(Deadline::Callback, d.callback), (Deadline::Close, d.close)];
    for (i, (name, at)) in deadlines.into_iter().filter_map(|(n, at)| Some((n, at?))).enumerate() {
        write_key(out, i, name.name());
        calendar::write_instant(out, at);
    }
    // No deadline of this policy has early warnings.
    out.extend_from_slice(b"},\"warnings\":{},\"values\":{");
    let mut values = 0;
    if let Some(at) = d.first_call {
        write_key(out, values, Value::FirstCall.name());
        calendar::write_instant(out, at);
        values += 1;
    }
    if let Some(n) = d.calls_left {
        write_key(out, values, Value::CallsLeft.name());
        serde_json::to_writer(&mut *out, &n).expect("writing to a Vec cannot fail");
    }
    out.extend_from_slice(b"},\"trace\":[");

    for (i, entry) in d.trace.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        match entry.fired {
            Fired::Rule(r) => {
                out.extend_from_slice(b"{\"rule\":");
                write_name(out, r.name());
                out.extend_from_slice(b",\"clauses\":");
                write_names(out, r.clauses().iter().copied());
            }
            Fired::Exemption(e) => {
                out.extend_from_slice(b"{\"exemption\":");
                write_name(out, e.name());
                out.extend_from_slice(b",\"clauses\":");
                write_names(out, e.clauses().iter().copied());
                out.extend_from_slice(b",\"reason\":");
                write_name(out, e.reason());
            }
        }
        out.extend_from_slice(b",\"effects\":[");
        for (j, effect) in d.effects_of(entry).iter().enumerate() {
            if j > 0 {
                out.push(b',');
            }
            write_effect(out, *effect);
        }
        out.extend_from_slice(b"]}");
    }
    out.extend_from_slice(b"]}");
}

fn write_effect(out: &mut Vec<u8>, effect: Effect) {
    let (key, name, unset) = match effect {
        Effect::Route(r) => ("route", r.name(), None),
        Effect::Action(a) => ("action", a.name(), None),
        Effect::Deadline(d) => ("deadline", d.name(), None),
        Effect::MissingTime(d) => ("deadline", d.name(), Some("missing_time")),
        Effect::Value(v) => ("value", v.name(), None),
        Effect::Undefined(v) => ("value", v.name(), Some("undefined")),
        Effect::Overflow(v) => ("value", v.name(), Some("problem")),
        Effect::Exempt(a) => ("exempt", a.name(), None),
        Effect::Dropped(owned) => {
            let (kind, name) = match owned {
                Owned::Deadline(d) => ("deadline", d.name()),
                Owned::Value(v) => ("value", v.name()),
            };
            out.extend_from_slice(b"{\"dropped\":");
            write_name(out, kind);
            out.extend_from_slice(b",\"name\":");
            write_name(out, name);
            out.extend_from_slice(b",\"action\":\"apology_callback\",\"because\":\"exempted\"}");
            return;
        }
    };
    out.push(b'{');
    write_key(out, 0, key);
    write_name(out, name);
    if let Some(why) = unset {
        out.extend_from_slice(b",\"unset\":");
        write_name(out, why);
    }
    out.push(b'}');
}

/// Read a ticket from one line of JSON, decide it into `scratch` and append its JSON line
/// to `out`.
pub fn decide_line(line: &str, scratch: &mut Decision, out: &mut Vec<u8>) -> Result<(), serde_json::Error> {
    let ticket: Ticket<'_> = serde_json::from_str(line)?;
    decide_into(&ticket, scratch);
    write_json(scratch, out);
    out.push(b'\n');
    Ok(())
}

// The policy's names, clauses and reasons need no escaping (no quotes, backslashes or
// control characters), unlike the ticket's id.

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
