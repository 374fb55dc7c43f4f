//! Member pages: the filtered list (and its CSV), the member file, and the
//! create / edit form.
use crate::web::form::{Path, Query};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use serde::Deserialize;

use crate::domain::billing::{BillingForm, Status as BillingStatus};
use crate::domain::follow_up::{Channel, FollowUpForm};
use crate::domain::format::{date_fr, days_until};
use crate::domain::formula::{Colour, Formula, State as MemberState};
use crate::domain::member::{MemberForm, TERMS, seniority};
use crate::domain::scope::Scope;
use crate::domain::timeline::{self, LateStart, Position};
use crate::domain::user::Role;
use crate::domain::validation::{FieldErrors, format_money};
use crate::store::follow_ups::{self, FollowUpRow};
use crate::store::members::{
    self, AuditEntry, Choice, ListTotal, Member, MemberFilter, MemberRow, RepresentativeFilter,
    SaveError, Sort, StatusFilter,
};
use crate::store::renewals;
use crate::store::timeline::{self as timeline_store, Timelines};
use crate::web::AppState;
use crate::web::auth::{CurrentUser, encode_component};
use crate::web::billing::{RequestLine, request_line};
use crate::web::csv::{self, Cell, CsvEncoder, Dialect};
use crate::web::error::{AppError, AppResult};
use crate::web::form::Form;
use crate::web::layout::Layout;
use crate::web::reasons::{MemberSide, member_side};

pub const PAGE_SIZE: i64 = 50;
/// The last page number a query string may ask for.
pub const MAX_PAGE: i64 = 100_000;
/// Roles that read member lists and files (billing has its own queue).
const READERS: [Role; 3] = [Role::Representative, Role::DistrictManager, Role::Direction];
/// Roles that create and edit members (managers within their district).
const EDITORS: [Role; 2] = [Role::DistrictManager, Role::Direction];

/// The list's filters as typed in the query string (kept to refill the form).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    pub district: String,
    pub groupe: String,
    pub representant: String,
    pub formule: String,
    pub etape: String,
    pub couleur: String,
    pub etat: String,
    pub statut: String,
    pub q: String,
    pub tri: String,
    pub page: String,
    /// CSV dialect (`virgule` for comma-separated).
    pub format: Option<String>,
}

impl ListQuery {
    pub(crate) fn filter(&self) -> MemberFilter {
        let id = |s: &str| s.trim().parse::<i64>().ok();
        MemberFilter {
            district_id: id(&self.district),
            group_id: id(&self.groupe),
            representative: match self.representant.trim() {
                "aucun" => RepresentativeFilter::Orphans,
                s => id(s).map_or(RepresentativeFilter::Any, RepresentativeFilter::User),
            },
            formula: Formula::parse(self.formule.trim()),
            stage: Some(self.etape.trim().to_string()).filter(|s| !s.is_empty()),
            colour: Colour::parse(self.couleur.trim()),
            state: MemberState::parse(self.etat.trim()),
            status: match self.statut.trim() {
                "perdus" => StatusFilter::Lost,
                "tous" => StatusFilter::All,
                _ => StatusFilter::Active,
            },
            text: self.q.trim().chars().take(100).collect(),
        }
    }

    /// Filters other than the text and the colour (folded away on a phone).
    pub fn has_more_filters(&self) -> bool {
        [
            &self.district,
            &self.groupe,
            &self.representant,
            &self.formule,
            &self.etape,
            &self.etat,
            &self.statut,
            &self.tri,
        ]
        .iter()
        .any(|v| !v.trim().is_empty())
    }

    pub(crate) fn sort(&self) -> Sort {
        if self.tri == "nom" {
            Sort::Name
        } else {
            Sort::Renewal
        }
    }

    pub(crate) fn page(&self) -> i64 {
        self.page
            .trim()
            .parse::<i64>()
            .unwrap_or(1)
            .clamp(1, MAX_PAGE)
    }

    /// The query string of these filters, with another page number.
    pub(crate) fn href(&self, base: &str, page: Option<i64>) -> String {
        let pairs = [
            ("district", &self.district),
            ("groupe", &self.groupe),
            ("representant", &self.representant),
            ("formule", &self.formule),
            ("etape", &self.etape),
            ("couleur", &self.couleur),
            ("etat", &self.etat),
            ("statut", &self.statut),
            ("q", &self.q),
            ("tri", &self.tri),
        ];
        let mut parts: Vec<String> = pairs
            .iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(k, v)| format!("{k}={}", encode_component(v.trim())))
            .collect();
        if let Some(p) = page.filter(|p| *p > 1) {
            parts.push(format!("page={p}"));
        }
        if parts.is_empty() {
            base.to_string()
        } else {
            format!("{base}?{}", parts.join("&"))
        }
    }
}

/// A list row ready to show.
pub struct MemberLine {
    pub id: i64,
    pub name: String,
    pub business_name: String,
    pub profession: String,
    pub formula: &'static str,
    pub group: String,
    pub district: String,
    pub representative: String,
    pub renewal: String,
    pub when: String,
    pub overdue: bool,
    pub stage: Option<(Colour, String)>,
    pub state: Option<MemberState>,
    pub lost: bool,
}

pub fn line(row: &MemberRow, timelines: &Timelines, today: NaiveDate) -> MemberLine {
    line_late(row, timelines, today, row.own_late_start())
}

/// [`line`], with the late start of a renewal recorded after its date.
pub fn line_late(
    row: &MemberRow,
    timelines: &Timelines,
    today: NaiveDate,
    late: Option<LateStart>,
) -> MemberLine {
    let formula = row.formula();
    let current = row
        .is_active()
        .then(|| timelines.current_late(formula, row.renewal_date, row.term_months, today, late))
        .flatten();
    let days = (row.renewal_date - today).num_days();
    MemberLine {
        id: row.id,
        name: format!("{} {}", row.first_name, row.last_name),
        business_name: row.business_name.clone(),
        profession: row.profession.clone(),
        formula: formula.label(),
        group: row.group_name.clone().unwrap_or_default(),
        district: row.district_name.clone(),
        representative: row
            .representative_name
            .clone()
            .unwrap_or_else(|| "— aucun —".into()),
        renewal: date_fr(row.renewal_date),
        when: if row.is_active() {
            days_until(days)
        } else {
            String::new()
        },
        overdue: row.is_active() && days < 0,
        stage: current.map(|c| (c.def.colour, c.def.label.clone())),
        state: row.state(),
        lost: !row.is_active(),
    }
}

pub struct Pager {
    pub page: i64,
    pub pages: i64,
    /// There are more pages than `pages` (the count stopped there).
    pub more: bool,
    pub prev_href: Option<String>,
    pub next_href: Option<String>,
}

impl Pager {
    /// The pager of a member list counted up to a cap.
    pub fn counted(page: i64, total: ListTotal, href: impl Fn(i64) -> String) -> Pager {
        let pages = ((total.count + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
        Pager {
            page,
            pages,
            more: total.capped,
            prev_href: (page > 1).then(|| href(page - 1)),
            next_href: (page < pages || total.capped).then(|| href(page + 1)),
        }
    }
}

/// « 1 membre », « 2 350 membres », « plus de 3 050 membres ».
pub fn members_count_fr(total: ListTotal) -> String {
    count_fr(total, "aucun membre", "membre", "membres")
}

/// A count capped past the page, in words: `none` when there is nothing,
/// else « 1 {one} », « 2 350 {many} », « plus de 3 050 {many} ».
pub fn count_fr(total: ListTotal, none: &str, one: &str, many: &str) -> String {
    let n = crate::domain::chart::count_label(total.count as f64);
    match (total.capped, total.count) {
        (true, _) => format!("plus de {n} {many}"),
        (false, 0) => none.to_string(),
        (false, 1) => format!("1 {one}"),
        (false, _) => format!("{n} {many}"),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "members/list.html")]
pub struct ListPage {
    layout: Layout,
    q: ListQuery,
    lines: Vec<MemberLine>,
    total: String,
    pager: Pager,
    csv_href: String,
    csv_comma_href: String,
    can_create: bool,
    districts: Vec<Choice>,
    groups: Vec<Choice>,
    representatives: Vec<Choice>,
    stages: Vec<(String, String)>,
    show_district: bool,
    show_representative: bool,
    /// Direction without a district chosen: groups and representatives
    /// are offered once a district is chosen.
    pick_district_first: bool,
}

impl ListPage {
    fn selected(&self, value: &str, current: &str) -> bool {
        value == current.trim()
    }
}

pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<ListQuery>,
) -> AppResult<ListPage> {
    user.require(&READERS)?;
    let scope = user.scope();
    let today = state.today();
    let timelines = timeline_store::load(&state.pool).await?;
    let page = q.page();
    let filter = q.filter();
    let (rows, total) = members::list(
        &state.pool,
        scope,
        &timelines,
        today,
        &filter,
        q.sort(),
        PAGE_SIZE,
        (page - 1) * PAGE_SIZE,
    )
    .await?;
    let choices = members::filter_choices(
        &state.pool,
        scope,
        filter.district_id,
        filter.group_id,
        match filter.representative {
            RepresentativeFilter::User(u) => Some(u),
            _ => None,
        },
    )
    .await?;
    let title = if user.0.role == Role::Representative {
        "Mes membres"
    } else {
        "Membres"
    };
    Ok(ListPage {
        layout: Layout::new(title, &user.0, "/membres"),
        lines: rows.iter().map(|r| line(r, &timelines, today)).collect(),
        total: members_count_fr(total),
        pager: Pager::counted(page, total, |p| q.href("/membres", Some(p))),
        csv_href: q.href("/membres/export.csv", None),
        csv_comma_href: csv::comma_href(&q.href("/membres/export.csv", None)),
        can_create: EDITORS.contains(&user.0.role),
        districts: choices.districts,
        groups: choices.groups,
        representatives: choices.representatives,
        pick_district_first: matches!(scope, Scope::Network) && filter.district_id.is_none(),
        stages: timelines.stage_choices(),
        show_district: matches!(scope, Scope::Network),
        show_representative: !matches!(scope, Scope::Representative { .. }),
        q,
    })
}

/// The filtered list as CSV (see `web::csv` for the two dialects).
pub async fn export_csv(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    user.require(&READERS)?;
    let today = state.today();
    let timelines = timeline_store::load(&state.pool).await?;
    let query = members::list_query(user.scope(), &timelines, today, &q.filter(), q.sort());

    let header = [
        "Nom",
        "Prénom",
        "Entreprise",
        "Profession",
        "Courriel",
        "Téléphone",
        "Ville",
        "District",
        "Groupe",
        "Formule",
        "Représentant·e",
        "Adhésion",
        "Renouvellement",
        "Jours avant le renouvellement",
        "Étape",
        "Couleur de l'étape",
        "État du membre",
        "Statut",
    ];
    let encoder = CsvEncoder::new(Dialect::from_param(q.format.as_deref()), &header)?;
    // The whole list, streamed (it can hold the whole network).
    Ok(csv::stream_query(
        state.pool.clone(),
        query,
        encoder,
        "membres",
        move |r: MemberRow| {
            let formula = r.formula();
            let current = r
                .is_active()
                .then(|| r.current_stage(&timelines, today))
                .flatten();
            vec![
                Cell::from(&r.last_name),
                Cell::from(&r.first_name),
                Cell::from(&r.business_name),
                Cell::from(&r.profession),
                Cell::from(&r.email),
                Cell::from(&r.phone),
                Cell::from(&r.city),
                Cell::from(&r.district_name),
                Cell::from(r.group_name.as_ref()),
                Cell::from(formula.label()),
                Cell::from(r.representative_name.as_ref()),
                Cell::from(r.join_date.to_string()),
                Cell::from(r.renewal_date.to_string()),
                Cell::Int((r.renewal_date - today).num_days()),
                Cell::from(current.as_ref().map(|c| c.def.label.clone())),
                Cell::from(current.as_ref().map(|c| c.def.colour.label())),
                Cell::from(r.state().map(|s| s.label())),
                Cell::from(if r.is_active() { "actif" } else { "perdu" }),
            ]
        },
    ))
}

/// A stage of the drawn cycle.
pub struct CycleLine {
    pub label: String,
    pub colour: Colour,
    pub start: String,
    pub position: Position,
    /// Past and current stages: was a follow-up logged during the stage?
    pub done: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "members/show.html")]
pub struct ShowPage {
    layout: Layout,
    m: MemberRow,
    member_id: i64,
    line: MemberLine,
    group_kind: Option<String>,
    seniority: String,
    join: String,
    board_member: bool,
    gr_credits: String,
    notes: String,
    term_months: i32,
    action: Vec<String>,
    asks_billing: bool,
    /// The billing request should have gone at an earlier stage.
    billing_late: bool,
    /// The current stage starts later (a renewal recorded early).
    stage_ahead: bool,
    stage_dates: Option<(String, Option<String>)>,
    overdue_days: i64,
    cycle: Vec<CycleLine>,
    standing: Vec<String>,
    audit: Vec<AuditLine>,
    can_edit: bool,
    stage_done: bool,
    panel: FileForms,
    /// The panel's notice with the member's name.
    notice: Option<String>,
    history: Vec<FollowUpLine>,
    plan: Option<PlanLine>,
    channels: [Channel; 6],
    states: [MemberState; 4],
    requests: Vec<RequestLine>,
    closing_request: bool,
    has_live_request: bool,
    renewal_history: Vec<RenewalLine>,
    departure: Option<(String, String)>,
    reasons: Vec<(i64, String, &'static str)>,
    can_record_renewal: bool,
    /// Direction may undo the renewal that started the current cycle.
    can_undo_renewal: bool,
    can_reactivate: bool,
    change_formulas: Vec<Formula>,
    today_iso: String,
    side: MemberSide,
    /// Attendance and referrals at the group's meetings.
    engagement: crate::web::engagement::EngagementBlock,
    /// The current stage asks to analyse them (« 3 mois avant », « 2 mois
    /// avant »): the block is shown in the action plan.
    engagement_in_plan: bool,
    /// The renewal risk and all its facts (active members only).
    risk: Option<(crate::web::risk::RiskBadge, Vec<crate::web::risk::FactLine>)>,
}

pub struct RenewalLine {
    pub at: String,
    pub by: String,
    pub from: String,
    pub to: String,
    pub formula_change: Option<(&'static str, &'static str)>,
}

pub fn category_label(c: &str) -> &'static str {
    match c {
        "irrecoverable" => "Irrécupérable",
        "recoverable" => "Récupérable",
        _ => "Récupérable, toujours suivi",
    }
}

/// The forms of the member file as typed (follow-up, billing request,
/// departure…), with their messages: kept when one is refused.
#[derive(Default)]
pub struct FileForms {
    pub form: FollowUpForm,
    pub errors: FieldErrors,
    /// A correction refused: the follow-up it was for, and why.
    pub correction_error: Option<(i64, String)>,
    pub reschedule_error: Option<String>,
    pub reschedule_value: String,
    /// The billing request form as typed, and its errors.
    pub billing: BillingForm,
    pub billing_errors: FieldErrors,
    /// A refused action of the renewal cycle (billing step, renewal,
    /// departure, reactivation), in French.
    pub cycle_error: Option<String>,
    /// The departure form as typed.
    pub lost_on: String,
    pub lost_reason: String,
    pub lost_errors: FieldErrors,
    /// The reactivation form as typed.
    pub reactivate_on: String,
    /// What was just saved, to confirm it (`{nom}` stands for the
    /// member's name).
    pub notice: Option<&'static str>,
}

impl FileForms {
    pub fn correction_error_for(&self, id: &i64) -> Option<&str> {
        self.correction_error
            .as_ref()
            .filter(|(fid, _)| fid == id)
            .map(|(_, m)| m.as_str())
    }
}

pub struct CorrectionLine {
    pub at: String,
    pub author: String,
    pub body: String,
}

pub struct FollowUpLine {
    pub id: i64,
    pub at: String,
    pub author: String,
    pub channel: &'static str,
    pub body: String,
    pub stage: Option<(Colour, String)>,
    pub state: Option<MemberState>,
    pub next_date: Option<String>,
    pub corrections: Vec<CorrectionLine>,
}

pub struct PlanLine {
    pub date: String,
    pub iso: String,
    pub overdue: bool,
}

pub fn local_time(at: chrono::DateTime<chrono::Utc>, tz: chrono_tz::Tz) -> String {
    let local = at.with_timezone(&tz);
    format!(
        "{} à {}",
        date_fr(local.date_naive()),
        local.format("%H h %M")
    )
}

/// Follow-ups newest first, each with its corrections (oldest first).
fn history_lines(rows: Vec<FollowUpRow>, tz: chrono_tz::Tz) -> Vec<FollowUpLine> {
    let (corrections, originals): (Vec<FollowUpRow>, Vec<FollowUpRow>) =
        rows.into_iter().partition(|r| r.corrects_id.is_some());
    originals
        .into_iter()
        .map(|r| {
            let mut mine: Vec<&FollowUpRow> = corrections
                .iter()
                .filter(|c| c.corrects_id == Some(r.id))
                .collect();
            mine.sort_by_key(|c| (c.at, c.id));
            FollowUpLine {
                id: r.id,
                at: local_time(r.at, tz),
                author: r.author_name.clone(),
                channel: Channel::parse(&r.channel).map_or("Autre", Channel::label),
                body: r.body.clone(),
                stage: r
                    .stage_colour
                    .as_deref()
                    .and_then(Colour::parse)
                    .zip(r.stage_label.clone()),
                state: MemberState::parse(&r.state),
                next_date: r.next_date.map(date_fr),
                corrections: mine
                    .into_iter()
                    .map(|c| CorrectionLine {
                        at: local_time(c.at, tz),
                        author: c.author_name.clone(),
                        body: c.body.clone(),
                    })
                    .collect(),
            }
        })
        .collect()
}

pub struct AuditLine {
    pub at: String,
    pub who: String,
    pub field: String,
    pub old_value: String,
    pub new_value: String,
}

fn audit_line(a: AuditEntry, tz: chrono_tz::Tz) -> AuditLine {
    let local = a.at.with_timezone(&tz);
    AuditLine {
        at: format!(
            "{} à {}",
            date_fr(local.date_naive()),
            local.format("%-H h %M")
        ),
        who: a.actor_name.unwrap_or_else(|| "système".into()),
        field: if a.field == "created" {
            "Fiche créée".into()
        } else {
            a.field
        },
        old_value: a.old_value.unwrap_or_default(),
        new_value: a.new_value.unwrap_or_default(),
    }
}

/// The checklist lines of an action text (one per line, bullets removed).
pub fn checklist(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| l.trim().trim_start_matches('•').trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ShowQuery {
    enregistre: Option<String>,
    suivi: Option<String>,
    relance: Option<String>,
    correction: Option<String>,
    facturation: Option<String>,
    renouvele: Option<String>,
    perdu: Option<String>,
    reactive: Option<String>,
    raison: Option<String>,
    escalade: Option<String>,
    recue: Option<String>,
    annulee: Option<String>,
    decision: Option<String>,
    annule: Option<String>,
    /// The page to go back to after logging a follow-up.
    retour: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Query(sq): Query<ShowQuery>,
) -> AppResult<ShowPage> {
    let panel = FileForms {
        form: FollowUpForm {
            retour: sq.retour.clone().unwrap_or_default(),
            ..FollowUpForm::default()
        },
        notice: if sq.enregistre.is_some() {
            Some("Fiche de {nom} enregistrée.")
        } else if sq.suivi.is_some() {
            Some("Suivi de {nom} enregistré.")
        } else if sq.relance.is_some() {
            Some("Relance de {nom} déplacée.")
        } else if sq.correction.is_some() {
            Some("Correction ajoutée au suivi de {nom}.")
        } else if sq.facturation.is_some() {
            Some("Demande de facturation de {nom} envoyée.")
        } else if sq.renouvele.is_some() {
            Some("Renouvellement de {nom} enregistré : un nouveau cycle commence.")
        } else if sq.perdu.is_some() {
            Some("Départ de {nom} enregistré.")
        } else if sq.reactive.is_some() {
            Some("{nom} est de nouveau membre actif.")
        } else if sq.raison.is_some() {
            Some("Raison de {nom} enregistrée : la réponse suggérée est affichée plus bas.")
        } else if sq.escalade.is_some() {
            Some("Escalade pour {nom} enregistrée.")
        } else if sq.recue.is_some() {
            Some("Réception de la facture par {nom} confirmée.")
        } else if sq.annulee.is_some() {
            Some("Demande de facturation de {nom} annulée.")
        } else if sq.annule.is_some() {
            Some(
                "Renouvellement de {nom} annulé : la date, la formule et le cycle précédents sont revenus.",
            )
        } else if sq.decision.is_some() {
            Some("Décision de {nom} changée : la facture est maintenant à envoyer.")
        } else {
            None
        },
        ..FileForms::default()
    };
    member_file(&state, &user, id, panel).await
}

/// The member file again after a refused form (422), its typed values and
/// messages in `panel`.
pub async fn refused(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    panel: FileForms,
) -> AppResult<Response> {
    let page = member_file(state, user, id, panel).await?;
    Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

/// The member file, with the follow-up panel as given (typed values and
/// errors are kept when a form was refused).
pub async fn member_file(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    panel: FileForms,
) -> AppResult<ShowPage> {
    user.require(&READERS)?;
    let member = members::find(&state.pool, user.scope(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let today = state.today();
    let timelines = timeline_store::load(&state.pool).await?;
    let row = &member.row;
    // The stages of the current cycle that have a follow-up, as the member
    // row carries them (migration 0020).
    let done: std::collections::HashSet<&str> =
        row.stages_done.iter().map(String::as_str).collect();
    // The state form starts at the member's current state.
    let mut panel = panel;
    if panel.form.state.is_empty() && panel.errors.is_empty() {
        panel.form.state = row.state.clone().unwrap_or_default();
    }
    let formula = row.formula();
    let table = timelines.table(formula);
    let late = row.late_start(|key| done.contains(key));
    let current = row
        .is_active()
        .then(|| {
            timeline::current_stage_late(table, row.renewal_date, row.term_months, today, late)
        })
        .flatten();
    let cycle = if row.is_active() {
        timeline::cycle_late(table, row.renewal_date, row.term_months, today, late)
            .into_iter()
            .map(|c| CycleLine {
                label: c.def.label.clone(),
                colour: c.def.colour,
                start: date_fr(c.start),
                position: c.position,
                done: done.contains(c.def.key.as_str()),
            })
            .collect()
    } else {
        Vec::new()
    };
    let tz = state.config.time_zone;
    let audit = members::audit_trail(&state.pool, id)
        .await?
        .into_iter()
        .map(|a| audit_line(a, tz))
        .collect();
    let history = history_lines(follow_ups::history(&state.pool, id).await?, tz);
    let plan = follow_ups::open_plan(&state.pool, id)
        .await?
        .map(|d| PlanLine {
            date: date_fr(d),
            iso: d.to_string(),
            overdue: d < today,
        });
    let side = member_side(&state.pool, id, today, tz, true).await?;
    let request_rows = crate::store::billing::for_member(&state.pool, id).await?;
    let has_live_request = request_rows
        .iter()
        .any(|r| r.cycle == r.member_cycle && r.status() != BillingStatus::Cancelled);
    let requests: Vec<RequestLine> = request_rows.iter().map(|r| request_line(r, tz)).collect();
    // A « ne renouvelle pas » request waits for the departure: its form is
    // opened, with the reason the member gave last.
    let closing_request = requests.iter().any(|r| r.can_close);
    if closing_request && panel.lost_reason.is_empty() {
        let last = crate::store::billing::last_reasons(&state.pool, &[id]).await?;
        if let Some(r) = last.get(&id) {
            panel.lost_reason = r.to_string();
        }
    }
    let renewal_history = renewals::history(&state.pool, id)
        .await?
        .into_iter()
        .map(|r| RenewalLine {
            at: date_fr(r.recorded_at.with_timezone(&tz).date_naive()),
            by: r.recorded_by,
            from: date_fr(r.previous_renewal),
            to: date_fr(r.new_renewal),
            formula_change: (r.previous_formula != r.new_formula).then(|| {
                let label = |f: &str| Formula::parse(f).map_or("—", Formula::label);
                (label(&r.previous_formula), label(&r.new_formula))
            }),
        })
        .collect();
    let can_undo_renewal = user.0.role == Role::Direction
        && row.is_active()
        && renewals::last_renewal(&state.pool, user.scope(), id)
            .await?
            .is_some();
    // Only a member who left has a departure to show.
    let departure = if row.status == "lost" {
        renewals::departure(&state.pool, id)
            .await?
            .map(|(d, reason)| (date_fr(d), reason))
    } else {
        None
    };
    let engagement = crate::web::engagement::member_block(
        &state.pool,
        id,
        member.group_id.zip(row.group_name.clone()),
        formula.label(),
        today,
    )
    .await?;
    let risk = crate::store::risk::of_member(&state.pool, id, today)
        .await?
        .map(|r| {
            (
                crate::web::risk::RiskBadge::of(&r),
                crate::web::risk::fact_lines(&r.facts),
            )
        });
    let engagement_in_plan = current
        .as_ref()
        .is_some_and(|c| matches!(c.def.key.as_str(), "before_3m" | "before_2m"));
    let reasons: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT id, label, category FROM reasons WHERE active ORDER BY category, position",
    )
    .fetch_all(&state.pool)
    .await?;
    Ok(ShowPage {
        notice: panel
            .notice
            .map(|n| crate::domain::format::elide_de(&n.replace("{nom}", &row.full_name()))),
        requests,
        closing_request,
        has_live_request,
        renewal_history,
        departure,
        reasons: reasons
            .into_iter()
            .map(|(i, l, c)| (i, l, category_label(&c)))
            .collect(),
        can_record_renewal: user.0.role == Role::Direction && row.is_active(),
        can_undo_renewal,
        can_reactivate: EDITORS.contains(&user.0.role) && !row.is_active(),
        change_formulas: Formula::ALL
            .into_iter()
            .filter(|f| *f != formula && *f != Formula::Exclusive)
            .collect(),
        today_iso: today.to_string(),
        side,
        engagement,
        engagement_in_plan,
        risk,
        layout: Layout::new(row.full_name(), &user.0, "/membres"),
        line: line_late(row, &timelines, today, late),
        member_id: row.id,
        group_kind: member.group_kind.clone(),
        seniority: seniority(row.join_date, today),
        join: date_fr(row.join_date),
        board_member: member.board_member,
        gr_credits: format_money(member.gr_credits_cents),
        notes: member.notes.clone(),
        term_months: row.term_months,
        action: current
            .as_ref()
            .map(|c| checklist(&c.def.action))
            .unwrap_or_default(),
        asks_billing: !has_live_request
            && current
                .as_ref()
                .is_some_and(|c| timelines.billing_due_at(formula, c.def)),
        billing_late: !has_live_request
            && current.as_ref().is_some_and(|c| {
                timelines.billing_due_at(formula, c.def) && !c.def.asks_billing_request
            }),
        stage_ahead: current.as_ref().is_some_and(|c| c.start > today),
        stage_dates: current
            .as_ref()
            .map(|c| (date_fr(c.start), c.end.map(date_fr))),
        overdue_days: current.as_ref().map_or(0, |c| c.days_overdue),
        stage_done: current
            .as_ref()
            .is_some_and(|c| done.contains(c.def.key.as_str())),
        cycle,
        standing: timelines
            .standing_actions
            .iter()
            .flat_map(|a| checklist(a))
            .collect(),
        audit,
        can_edit: EDITORS.contains(&user.0.role),
        panel,
        history,
        plan,
        channels: Channel::ALL,
        states: MemberState::ALL,
        m: member.row,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "members/form.html")]
pub struct FormPage {
    layout: Layout,
    heading: String,
    action: String,
    cancel: String,
    f: MemberForm,
    errors: FieldErrors,
    stale: bool,
    /// After a refused save: what the other person saved, next to what
    /// was typed (kept in the form).
    conflict: Option<Conflict>,
    districts: Vec<Choice>,
    groups: Vec<Choice>,
    representatives: Vec<Choice>,
    terms: [i32; 5],
    formulas: [Formula; 3],
}

impl FormPage {
    fn is(&self, value: &str, current: &str) -> bool {
        value == current.trim()
    }

    fn is_id(&self, id: &i64, current: &str) -> bool {
        current.trim() == id.to_string()
    }
}

/// Where a member form is: its heading, where it posts, where "Annuler" goes.
struct FormTarget {
    heading: String,
    action: String,
    cancel: String,
}

impl FormTarget {
    fn new_member() -> FormTarget {
        FormTarget {
            heading: "Nouveau membre".into(),
            action: "/membres/nouveau".into(),
            cancel: "/membres".into(),
        }
    }

    fn edit(id: i64, name: &str) -> FormTarget {
        FormTarget {
            heading: format!("Modifier {name}"),
            action: format!("/membres/{id}/modifier"),
            cancel: format!("/membres/{id}"),
        }
    }
}

async fn form_page(
    state: &AppState,
    user: &CurrentUser,
    target: FormTarget,
    f: MemberForm,
    errors: FieldErrors,
    stale: bool,
) -> AppResult<FormPage> {
    let scope = user.scope();
    Ok(FormPage {
        layout: Layout::new(target.heading.clone(), &user.0, "/membres"),
        heading: target.heading,
        action: target.action,
        cancel: target.cancel,
        f,
        errors,
        stale,
        conflict: None,
        districts: members::district_choices(&state.pool, scope).await?,
        groups: members::group_choices(&state.pool, scope).await?,
        representatives: members::representative_choices(&state.pool, scope).await?,
        terms: TERMS,
        formulas: Formula::ALL,
    })
}

pub async fn new_form(State(state): State<AppState>, user: CurrentUser) -> AppResult<FormPage> {
    user.require(&EDITORS)?;
    let today = state.today();
    let f = MemberForm {
        district_id: user
            .0
            .district_id
            .map(|d| d.to_string())
            .unwrap_or_default(),
        formula: Formula::Exclusive.as_str().into(),
        term_months: "12".into(),
        join_date: today.to_string(),
        renewal_date: timeline::add_months(today, 12).to_string(),
        ..MemberForm::default()
    };
    form_page(
        &state,
        &user,
        FormTarget::new_member(),
        f,
        FieldErrors::new(),
        false,
    )
    .await
}

pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    Form(f): Form<MemberForm>,
) -> AppResult<Response> {
    user.require(&EDITORS)?;
    let errors = match f.parse() {
        Ok(draft) => {
            let mut tx = state.pool.begin().await?;
            match members::create(&mut tx, user.scope(), user.0.id, &draft).await {
                Ok(id) => {
                    tx.commit().await?;
                    return Ok(Redirect::to(&format!("/membres/{id}?enregistre=1")).into_response());
                }
                Err(SaveError::Invalid(e)) => e,
                Err(SaveError::Db(e)) => return Err(e.into()),
                Err(SaveError::Stale | SaveError::NotFound) => return Err(AppError::NotFound),
            }
        }
        Err(e) => e,
    };
    let page = form_page(&state, &user, FormTarget::new_member(), f, errors, false).await?;
    Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

pub async fn edit_form(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<FormPage> {
    user.require(&EDITORS)?;
    let m = members::find(&state.pool, user.scope(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let r = &m.row;
    let f = member_form_of(&m);
    form_page(
        &state,
        &user,
        FormTarget::edit(id, &r.full_name()),
        f,
        FieldErrors::new(),
        false,
    )
    .await
}

/// A saved member as its form shows it.
fn member_form_of(m: &Member) -> MemberForm {
    let r = &m.row;
    MemberForm {
        first_name: r.first_name.clone(),
        last_name: r.last_name.clone(),
        business_name: r.business_name.clone(),
        profession: r.profession.clone(),
        email: r.email.clone(),
        phone: r.phone.clone(),
        city: r.city.clone(),
        district_id: m.district_id.to_string(),
        group_id: m.group_id.map(|g| g.to_string()).unwrap_or_default(),
        formula: r.formula.clone(),
        representative_id: m
            .row
            .representative_id
            .map(|g| g.to_string())
            .unwrap_or_default(),
        join_date: r.join_date.to_string(),
        renewal_date: r.renewal_date.to_string(),
        term_months: r.term_months.to_string(),
        board_member: m.board_member.then(|| "on".to_string()),
        gr_credits: format_money(m.gr_credits_cents)
            .trim_end_matches('$')
            .replace('\u{a0}', "")
            .trim()
            .to_string(),
        notes: m.notes.clone(),
        version: m.version.to_string(),
    }
}

/// A save refused because someone else saved first: who, when, and each
/// field where their version and the typed one differ.
pub struct Conflict {
    pub by: String,
    pub at: String,
    pub lines: Vec<ConflictLine>,
}

pub struct ConflictLine {
    pub label: &'static str,
    pub theirs: String,
    pub yours: String,
}

/// The fields where `theirs` (saved) and `yours` (typed) differ, in words.
/// `names` are the choices of the district, group and representative
/// fields, in that order.
fn conflict_lines(
    theirs: &MemberForm,
    yours: &MemberForm,
    names: &[Vec<Choice>; 3],
) -> Vec<ConflictLine> {
    let name_of = |list: usize, id: &str| -> String {
        let id = id.trim();
        if id.is_empty() {
            return "aucun".into();
        }
        names[list]
            .iter()
            .find(|c| c.id.to_string() == id)
            .map_or_else(|| id.to_string(), |c| c.name.clone())
    };
    let formula =
        |f: &str| Formula::parse(f.trim()).map_or(f.trim().to_string(), |x| x.label().to_string());
    let yes_no = |b: &Option<String>| if b.is_some() { "oui" } else { "non" }.to_string();
    let money = |s: &str| {
        crate::domain::validation::money_cents(s)
            .map_or_else(|_| s.trim().to_string(), format_money)
    };
    let pairs: Vec<(&'static str, String, String)> = vec![
        (
            "Prénom",
            theirs.first_name.clone(),
            yours.first_name.clone(),
        ),
        ("Nom", theirs.last_name.clone(), yours.last_name.clone()),
        (
            "Entreprise",
            theirs.business_name.clone(),
            yours.business_name.clone(),
        ),
        (
            "Profession",
            theirs.profession.clone(),
            yours.profession.clone(),
        ),
        ("Courriel", theirs.email.clone(), yours.email.clone()),
        ("Téléphone", theirs.phone.clone(), yours.phone.clone()),
        ("Ville", theirs.city.clone(), yours.city.clone()),
        (
            "District",
            name_of(0, &theirs.district_id),
            name_of(0, &yours.district_id),
        ),
        (
            "Groupe",
            name_of(1, &theirs.group_id),
            name_of(1, &yours.group_id),
        ),
        ("Formule", formula(&theirs.formula), formula(&yours.formula)),
        (
            "Représentant·e",
            name_of(2, &theirs.representative_id),
            name_of(2, &yours.representative_id),
        ),
        (
            "Adhésion",
            theirs.join_date.clone(),
            yours.join_date.clone(),
        ),
        (
            "Renouvellement",
            theirs.renewal_date.clone(),
            yours.renewal_date.clone(),
        ),
        (
            "Durée (mois)",
            theirs.term_months.clone(),
            yours.term_months.clone(),
        ),
        (
            "Membre du CA",
            yes_no(&theirs.board_member),
            yes_no(&yours.board_member),
        ),
        (
            "Crédits GR",
            money(&theirs.gr_credits),
            money(&yours.gr_credits),
        ),
        ("Notes", theirs.notes.clone(), yours.notes.clone()),
    ];
    pairs
        .into_iter()
        .filter(|(_, a, b)| a.trim() != b.trim())
        .map(|(label, theirs, yours)| ConflictLine {
            label,
            theirs: if theirs.trim().is_empty() {
                "(vide)".into()
            } else {
                theirs
            },
            yours: if yours.trim().is_empty() {
                "(vide)".into()
            } else {
                yours
            },
        })
        .collect()
}

pub async fn update(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(f): Form<MemberForm>,
) -> AppResult<Response> {
    user.require(&EDITORS)?;
    // Out of scope answers 404 whatever was posted.
    let existing = members::find(&state.pool, user.scope(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut stale = false;
    let errors = match (f.parse(), f.version()) {
        (Ok(draft), Some(version)) => {
            let mut tx = state.pool.begin().await?;
            match members::update(&mut tx, user.scope(), user.0.id, id, version, &draft).await {
                Ok(()) => {
                    tx.commit().await?;
                    return Ok(Redirect::to(&format!("/membres/{id}?enregistre=1")).into_response());
                }
                Err(SaveError::Invalid(e)) => e,
                Err(SaveError::Stale) => {
                    stale = true;
                    FieldErrors::new()
                }
                Err(SaveError::NotFound) => return Err(AppError::NotFound),
                Err(SaveError::Db(e)) => return Err(e.into()),
            }
        }
        (Ok(_), None) => {
            return Err(AppError::BadRequest(
                "Le formulaire ne dit pas quelle version de la fiche il modifie.".into(),
            ));
        }
        (Err(e), _) => e,
    };
    if stale {
        // Their version, read now; the typed values stay in the form, which
        // now carries their version so that saving again goes on top of it.
        let current = members::find(&state.pool, user.scope(), id)
            .await?
            .ok_or(AppError::NotFound)?;
        let theirs = member_form_of(&current);
        let mut names = [
            members::district_choices(&state.pool, Scope::Network).await?,
            members::group_choices(&state.pool, Scope::Network).await?,
            members::representative_choices(&state.pool, Scope::Network).await?,
        ];
        // Their names, even where a choice list leaves them out (inactive).
        for (list, id, name) in [
            (
                0,
                Some(current.district_id),
                Some(current.row.district_name.clone()),
            ),
            (1, current.group_id, current.row.group_name.clone()),
            (
                2,
                current.row.representative_id,
                current.row.representative_name.clone(),
            ),
        ] {
            if let (Some(id), Some(name)) = (id, name) {
                names[list].insert(
                    0,
                    Choice {
                        id,
                        name,
                        district_id: 0,
                        district_name: String::new(),
                    },
                );
            }
        }
        let last = members::audit_trail(&state.pool, id)
            .await?
            .into_iter()
            .next();
        let tz = state.config.time_zone;
        let conflict = Conflict {
            by: last
                .as_ref()
                .and_then(|a| a.actor_name.clone())
                .unwrap_or_else(|| "quelqu'un d'autre".into()),
            at: local_time(current.updated_at, tz),
            lines: conflict_lines(&theirs, &f, &names),
        };
        let f = MemberForm {
            version: current.version.to_string(),
            ..f
        };
        let mut page = form_page(
            &state,
            &user,
            FormTarget::edit(id, &current.row.full_name()),
            f,
            errors,
            true,
        )
        .await?;
        page.conflict = Some(conflict);
        return Ok((axum::http::StatusCode::CONFLICT, page).into_response());
    }
    let page = form_page(
        &state,
        &user,
        FormTarget::edit(id, &existing.row.full_name()),
        f,
        errors,
        stale,
    )
    .await?;
    let status = if stale {
        axum::http::StatusCode::CONFLICT
    } else {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, page).into_response())
}
