//! The timelines, as direction edits them (`/echeanciers`): each formula's
//! table and the standing actions, edited in a form, checked, previewed
//! (which active members change stage today), then saved as a new version;
//! earlier versions can be restored through the same checks and preview.
use crate::web::form::{Path, Query};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::domain::format::date_fr;
use crate::domain::formula::{Colour, Formula};
use crate::domain::timeline::StageDef;
use crate::domain::timeline_edit::{
    self as edit, StandingForm, TableErrors, TableForm, describe_changes,
    describe_standing_changes, start_text,
};
use crate::domain::user::Role;
use crate::store::timeline::{self as timeline_store, Timelines};
use crate::store::timeline_versions::{self as versions_store, MoveCount, Proposal, SaveError};
use crate::web::AppState;
use crate::web::auth::CurrentUser;
use crate::web::error::{AppError, AppResult};
use crate::web::form::Form;
use crate::web::groups::parse_id;
use crate::web::layout::Layout;

const DIRECTION: &[Role] = &[Role::Direction];
const NAV: &str = "/echeanciers";
const VERSIONS_PER_PAGE: i64 = 50;

/// What a page of the editor is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Table(Formula),
    Standing,
}

impl Section {
    fn parse(raw: &str) -> AppResult<Section> {
        match raw {
            "exclusif" => Ok(Section::Table(Formula::Exclusive)),
            "regional" => Ok(Section::Table(Formula::Regional)),
            "partenaire" => Ok(Section::Table(Formula::Partner)),
            "actions" => Ok(Section::Standing),
            _ => Err(AppError::NotFound),
        }
    }

    pub fn slug(self) -> &'static str {
        match self {
            Section::Table(Formula::Exclusive) => "exclusif",
            Section::Table(Formula::Regional) => "regional",
            Section::Table(Formula::Partner) => "partenaire",
            Section::Standing => "actions",
        }
    }

    pub fn title(self) -> String {
        match self {
            Section::Table(f) => format!("Échéancier — {}", f.label()),
            Section::Standing => "Actions en tout temps".to_string(),
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DoneQuery {
    fait: String,
    page: String,
}

fn done_notice(key: &str) -> Option<&'static str> {
    match key {
        "enregistre" => Some(
            "L'échéancier a été enregistré : les listes, les tâches et les fiches suivent \
             déjà la nouvelle version.",
        ),
        "restaure" => Some("La version choisie a été restaurée (elle devient la plus récente)."),
        "inchange" => Some("Rien n'a changé : aucune version n'a été enregistrée."),
        _ => None,
    }
}

/// A stage as the overview shows it.
pub struct StageLine {
    pub label: String,
    pub colour: Colour,
    pub start: String,
    pub billing: bool,
}

pub struct TableView {
    pub section: Section,
    pub formula: Formula,
    pub stages: Vec<StageLine>,
}

fn stage_lines(table: &[StageDef]) -> Vec<StageLine> {
    table
        .iter()
        .map(|d| StageLine {
            label: d.label.clone(),
            colour: d.colour,
            start: start_text(d.anchor, d.months, d.days),
            billing: d.asks_billing_request,
        })
        .collect()
}

#[derive(Template, WebTemplate)]
#[template(path = "timelines/overview.html")]
pub struct OverviewPage {
    layout: Layout,
    tables: Vec<TableView>,
    standing: Vec<String>,
    version: i64,
    notice: Option<&'static str>,
}

pub async fn overview(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<DoneQuery>,
) -> AppResult<OverviewPage> {
    user.require(DIRECTION)?;
    let timelines = timeline_store::load(&state.pool).await?;
    let version = current_version(&state).await?;
    Ok(OverviewPage {
        layout: Layout::new("Échéanciers", &user.0, NAV),
        tables: Formula::ALL
            .into_iter()
            .map(|f| TableView {
                section: Section::Table(f),
                formula: f,
                stages: stage_lines(timelines.table(f)),
            })
            .collect(),
        standing: timelines.standing_actions.clone(),
        version,
        notice: done_notice(&q.fait),
    })
}

async fn current_version(state: &AppState) -> AppResult<i64> {
    let mut conn = state.pool.acquire().await?;
    Ok(versions_store::current_version(&mut conn).await?)
}

#[derive(Template, WebTemplate)]
#[template(path = "timelines/edit.html")]
pub struct TableFormPage {
    layout: Layout,
    section: Section,
    form: TableForm,
    errors: TableErrors,
    /// The version saved since the form was drawn, if any.
    stale: Option<i64>,
    colours: [Colour; 4],
}

#[derive(Template, WebTemplate)]
#[template(path = "timelines/standing.html")]
pub struct StandingFormPage {
    layout: Layout,
    section: Section,
    form: StandingForm,
    errors: Vec<Option<String>>,
    stale: Option<i64>,
}

impl StandingFormPage {
    /// (askama passes arguments by reference.)
    fn error(&self, i: &usize) -> Option<&str> {
        self.errors.get(*i).and_then(|e| e.as_deref())
    }

    /// Whether row `i` is the first faulty one (focused).
    fn focus(&self, i: &usize) -> bool {
        self.errors.iter().position(Option::is_some) == Some(*i)
    }
}

impl TableFormPage {
    fn row_errors(&self, i: &usize) -> edit::RowErrors {
        self.errors.row(*i)
    }

    /// Whether this field of row `i` is the first faulty one (focused).
    fn focus(&self, i: &usize, field: impl AsRef<str>) -> bool {
        self.errors
            .first()
            .is_some_and(|(row, f)| row == *i && f == field.as_ref())
    }
}

fn table_page(
    user: &CurrentUser,
    formula: Formula,
    form: TableForm,
    errors: TableErrors,
    stale: Option<i64>,
) -> TableFormPage {
    let section = Section::Table(formula);
    TableFormPage {
        layout: Layout::new(section.title(), &user.0, NAV),
        section,
        form,
        errors,
        stale,
        colours: Colour::ALL,
    }
}

fn standing_page(
    user: &CurrentUser,
    form: StandingForm,
    errors: Vec<Option<String>>,
    stale: Option<i64>,
) -> StandingFormPage {
    StandingFormPage {
        layout: Layout::new(Section::Standing.title(), &user.0, NAV),
        section: Section::Standing,
        form,
        errors,
        stale,
    }
}

pub async fn edit_form(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(raw): Path<String>,
) -> AppResult<Response> {
    user.require(DIRECTION)?;
    let section = Section::parse(&raw)?;
    let timelines = timeline_store::load(&state.pool).await?;
    let version = current_version(&state).await?;
    Ok(match section {
        Section::Table(f) => {
            let form = TableForm::from_table(timelines.table(f), version);
            table_page(&user, f, form, TableErrors::default(), None).into_response()
        }
        Section::Standing => {
            let form = StandingForm::from_actions(&timelines.standing_actions, version);
            standing_page(&user, form, Vec::new(), None).into_response()
        }
    })
}

/// One section's proposal, parsed.
enum Parsed {
    Table(TableForm, Result<Vec<StageDef>, TableErrors>),
    Standing(StandingForm, Result<Vec<String>, Vec<Option<String>>>),
}

impl Parsed {
    fn version(&self) -> Option<i64> {
        match self {
            Parsed::Table(f, _) => f.version(),
            Parsed::Standing(f, _) => f.version(),
        }
    }

    /// The form drawn again: refused (`errors`), out of date (`stale`), or
    /// as typed (back from the preview).
    fn page(self, user: &CurrentUser, formula: Option<Formula>, stale: Option<i64>) -> Response {
        match (self, formula) {
            (Parsed::Table(mut form, result), Some(f)) => {
                let errors = result.err().unwrap_or_default();
                if let Some(v) = stale {
                    form.version = v.to_string();
                }
                let (form, errors) = form.compacted(errors);
                table_page(user, f, form, errors, stale).into_response()
            }
            (Parsed::Standing(mut form, result), _) => {
                let errors = result.err().unwrap_or_default();
                if let Some(v) = stale {
                    form.version = v.to_string();
                }
                let (form, errors) = form.compacted(errors);
                standing_page(user, form, errors, stale).into_response()
            }
            (Parsed::Table(..), None) => AppError::NotFound.into_response(),
        }
    }
}

fn intent(pairs: &[(String, String)]) -> &str {
    pairs
        .iter()
        .find(|(n, _)| n == "intent")
        .map_or("apercu", |(_, v)| v.as_str())
}

pub async fn submit(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(raw): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    user.require(DIRECTION)?;
    let section = Section::parse(&raw)?;
    let today = state.today();
    let current = timeline_store::load(&state.pool).await?;
    let formula = match section {
        Section::Table(f) => Some(f),
        Section::Standing => None,
    };
    let parsed = match section {
        Section::Table(f) => {
            let form = TableForm::from_pairs(&pairs).map_err(AppError::BadRequest)?;
            let taken = versions_store::taken_keys(&state.pool, f).await?;
            let result = edit::parse_table(&form, current.table(f), &taken, today);
            Parsed::Table(form, result)
        }
        Section::Standing => {
            let form = StandingForm::from_pairs(&pairs).map_err(AppError::BadRequest)?;
            let result = form.parse();
            Parsed::Standing(form, result)
        }
    };
    let base = parsed.version().ok_or_else(|| {
        AppError::BadRequest("Le formulaire ne dit pas de quelle version il part.".into())
    })?;
    let latest = current_version(&state).await?;
    if latest != base {
        return Ok(stale(parsed.page(&user, formula, Some(latest))));
    }
    let intent = intent(&pairs).to_string();
    if intent == "retour" {
        return Ok(parsed.page(&user, formula, None));
    }
    let proposed = match &parsed {
        Parsed::Table(_, Ok(table)) => formula.map(|f| current.with_table(f, table.clone())),
        Parsed::Standing(_, Ok(actions)) => Some(current.with_standing_actions(actions.clone())),
        _ => None,
    };
    let Some(proposed) = proposed else {
        let page = parsed.page(&user, formula, None);
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    };
    if intent != "confirmer" {
        let carried: Vec<(String, String)> =
            pairs.into_iter().filter(|(n, _)| n != "intent").collect();
        let target = PreviewTarget::Edit { section, carried };
        let page =
            preview_page(&state, &user, section.title(), &current, &proposed, target).await?;
        return Ok(page.into_response());
    }
    let proposal = Proposal {
        base_version: base,
        timelines: &proposed,
        note: "",
        restored_from: None,
    };
    match save(&state, &user, &proposal).await? {
        Saved::Done(to) => Ok(Redirect::to(to).into_response()),
        Saved::Stale(latest) => Ok(stale(parsed.page(&user, formula, Some(latest)))),
    }
}

fn stale(page: Response) -> Response {
    (StatusCode::CONFLICT, page).into_response()
}

enum Saved {
    Done(&'static str),
    Stale(i64),
}

async fn save(state: &AppState, user: &CurrentUser, proposal: &Proposal<'_>) -> AppResult<Saved> {
    let mut tx = state.pool.begin().await?;
    match versions_store::save(&mut tx, user.0.id, proposal).await {
        Ok(Some(version)) => {
            tx.commit().await?;
            tracing::info!(version, "échéanciers enregistrés");
            Ok(Saved::Done(if proposal.restored_from.is_some() {
                "/echeanciers?fait=restaure"
            } else {
                "/echeanciers?fait=enregistre"
            }))
        }
        Ok(None) => Ok(Saved::Done("/echeanciers?fait=inchange")),
        Err(SaveError::Stale(latest)) => Ok(Saved::Stale(latest)),
        Err(SaveError::Db(e)) => Err(e.into()),
    }
}

/// Where the preview's « Confirmer » goes.
pub enum PreviewTarget {
    /// Back to the section's form, with the posted fields carried again.
    Edit {
        section: Section,
        carried: Vec<(String, String)>,
    },
    /// Restoring a version, made on top of `base`.
    Restore { version: i64, base: i64 },
}

/// The changes of one formula, and the members they move.
pub struct FormulaPreview {
    pub formula: Formula,
    pub changes: Vec<String>,
    pub moves: Vec<MoveCount>,
    pub moved: i64,
}

#[derive(Template, WebTemplate)]
#[template(path = "timelines/preview.html")]
pub struct PreviewPage {
    layout: Layout,
    heading: String,
    today: String,
    formulas: Vec<FormulaPreview>,
    standing_changes: Vec<String>,
    /// Messages that stop a restore (a version the rules refuse today).
    refusals: Vec<String>,
    /// Someone saved meanwhile: the preview was drawn again on their version.
    warning: Option<String>,
    target: PreviewTarget,
}

impl PreviewPage {
    fn nothing_changes(&self) -> bool {
        self.formulas.is_empty() && self.standing_changes.is_empty()
    }
}

async fn preview_page(
    state: &AppState,
    user: &CurrentUser,
    heading: String,
    current: &Timelines,
    proposed: &Timelines,
    target: PreviewTarget,
) -> AppResult<PreviewPage> {
    let today = state.today();
    let moves = versions_store::count_moves(&state.pool, current, proposed, today).await?;
    let formulas = Formula::ALL
        .into_iter()
        .filter(|&f| current.table(f) != proposed.table(f))
        .map(|formula| {
            let moves: Vec<MoveCount> = moves
                .iter()
                .filter(|m| m.formula == formula)
                .cloned()
                .collect();
            FormulaPreview {
                formula,
                changes: describe_changes(current.table(formula), proposed.table(formula)),
                moved: moves.iter().map(|m| m.members).sum(),
                moves,
            }
        })
        .collect();
    Ok(PreviewPage {
        layout: Layout::new(format!("{heading} : aperçu"), &user.0, NAV),
        heading,
        today: date_fr(today),
        formulas,
        standing_changes: describe_standing_changes(
            &current.standing_actions,
            &proposed.standing_actions,
        ),
        refusals: Vec::new(),
        warning: None,
        target,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "timelines/versions.html")]
pub struct VersionsPage {
    layout: Layout,
    versions: Vec<VersionLine>,
    current: i64,
    page: i64,
    pages: i64,
}

pub struct VersionLine {
    pub id: i64,
    pub saved_at: String,
    pub saved_by: String,
    pub note: String,
    pub restored_from: Option<i64>,
}

pub async fn versions(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<DoneQuery>,
) -> AppResult<VersionsPage> {
    user.require(DIRECTION)?;
    let page: i64 = q.page.parse().unwrap_or(1).max(1);
    let (rows, total) = versions_store::versions(
        &state.pool,
        VERSIONS_PER_PAGE,
        (page - 1) * VERSIONS_PER_PAGE,
    )
    .await?;
    let tz = state.config.time_zone;
    Ok(VersionsPage {
        layout: Layout::new("Versions des échéanciers", &user.0, NAV),
        current: current_version(&state).await?,
        versions: rows
            .into_iter()
            .map(|v| VersionLine {
                id: v.id,
                saved_at: {
                    let at = v.saved_at.with_timezone(&tz);
                    format!("{} à {}", date_fr(at.date_naive()), at.format("%-H h %M"))
                },
                saved_by: v.saved_by.unwrap_or_else(|| "Installation".to_string()),
                note: v.note,
                restored_from: v.restored_from,
            })
            .collect(),
        page,
        pages: ((total + VERSIONS_PER_PAGE - 1) / VERSIONS_PER_PAGE).max(1),
    })
}

/// A version's tables checked again by today's rules (they may have been
/// saved under other ones): the tables, or the French reasons why not.
fn checked_version(
    version: &Timelines,
    today: chrono::NaiveDate,
) -> Result<Timelines, Vec<String>> {
    let mut out = version.clone();
    let mut refusals = Vec::new();
    for f in Formula::ALL {
        match edit::check_table(version.table(f), today) {
            Ok(table) => out = out.with_table(f, table),
            Err(messages) => {
                refusals.extend(messages.into_iter().map(|m| format!("{} — {m}", f.label())))
            }
        }
    }
    if refusals.is_empty() {
        Ok(out)
    } else {
        Err(refusals)
    }
}

async fn find_version(state: &AppState, raw: &str) -> AppResult<(i64, Timelines)> {
    let id = parse_id(raw)?;
    let version = versions_store::load_version(&state.pool, id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((id, version))
}

pub async fn restore_preview(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(raw): Path<String>,
) -> AppResult<Response> {
    user.require(DIRECTION)?;
    let (id, version) = find_version(&state, &raw).await?;
    let current = timeline_store::load(&state.pool).await?;
    let base = current_version(&state).await?;
    let heading = format!("Restaurer la version {id}");
    let target = PreviewTarget::Restore { version: id, base };
    match checked_version(&version, state.today()) {
        Ok(proposed) => {
            let page = preview_page(&state, &user, heading, &current, &proposed, target).await?;
            Ok(page.into_response())
        }
        Err(refusals) => {
            let mut page = preview_page(&state, &user, heading, &current, &current, target).await?;
            page.refusals = refusals;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RestoreForm {
    /// The version the preview was drawn on.
    version: String,
}

pub async fn restore(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(raw): Path<String>,
    Form(form): Form<RestoreForm>,
) -> AppResult<Response> {
    user.require(DIRECTION)?;
    let (id, version) = find_version(&state, &raw).await?;
    let base: i64 = form.version.trim().parse().map_err(|_| {
        AppError::BadRequest("Le formulaire ne dit pas de quelle version il part.".into())
    })?;
    let current = timeline_store::load(&state.pool).await?;
    let heading = format!("Restaurer la version {id}");
    let proposed = match checked_version(&version, state.today()) {
        Ok(p) => p,
        Err(refusals) => {
            let target = PreviewTarget::Restore { version: id, base };
            let mut page = preview_page(&state, &user, heading, &current, &current, target).await?;
            page.refusals = refusals;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let note = format!("Restauration de la version {id}");
    let proposal = Proposal {
        base_version: base,
        timelines: &proposed,
        note: &note,
        restored_from: Some(id),
    };
    match save(&state, &user, &proposal).await? {
        Saved::Done(to) => Ok(Redirect::to(to).into_response()),
        Saved::Stale(latest) => {
            // Drawn again on the newest version, for a fresh decision.
            let target = PreviewTarget::Restore {
                version: id,
                base: latest,
            };
            let current = timeline_store::load(&state.pool).await?;
            let mut page =
                preview_page(&state, &user, heading, &current, &proposed, target).await?;
            page.warning = Some(format!(
                "Quelqu'un a enregistré les échéanciers pendant que vous regardiez cet aperçu \
                 (version {latest}). Voici l'aperçu refait sur cette version : confirmez de \
                 nouveau si la restauration convient toujours."
            ));
            Ok(stale(page.into_response()))
        }
    }
}
