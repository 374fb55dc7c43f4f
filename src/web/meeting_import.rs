//! Importing a group's meeting figures from a CSV file: upload, preview,
//! confirmation — the member import's experience, under the group.
//!
//! The uploaded file stays on the server (`meeting_import_uploads`, for its
//! uploader and this group, as long as a member import's file); the preview
//! and the confirmation read it again and plan every line afresh. The
//! confirmation is one transaction, refused (and the preview shown again)
//! if the plan differs from the one the person saw. Who may import: whoever
//! fills the group's sheet; a representative only their own members' lines.
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::multipart::{MultipartError, MultipartRejection};
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use sqlx::PgConnection;

use crate::domain::format::date_fr;
use crate::domain::meeting_import::{
    self as mi, Counts, GroupInfo, Known, MeetingFile, Outcome, Plan, PlannedLine,
};
use crate::domain::user::Role;
use crate::store::groups::Group;
use crate::store::meeting_import::{self as store, ImportRecord, Importer, WriteError};
use crate::web::AppState;
use crate::web::auth::CurrentUser;
use crate::web::csv::{self, Cell, CsvEncoder, Dialect};
use crate::web::error::{AppError, AppResult};
use crate::web::form::{Form, Path, Query};
use crate::web::layout::Layout;
use crate::web::meetings::open_group;
use crate::web::members::Pager;

/// Those who may add a meeting on another day than the group's usual one.
const ORGANISERS: &[Role] = &[Role::DistrictManager, Role::Direction];
const NAV: &str = "/groupes";
/// Lines of the preview per page (refused first, then the others).
const PREVIEW_PAGE: usize = 200;

fn importer(user: &CurrentUser, own: Option<i64>) -> mi::Importer {
    mi::Importer {
        representative: own,
        may_add_meetings: ORGANISERS.contains(&user.0.role),
    }
}

fn base(group: &Group) -> String {
    format!("/groupes/{}/rencontres/import", group.id)
}

// -- Upload ---------------------------------------------------------------------

pub struct RecordLine {
    pub id: i64,
    pub at: String,
    pub who: String,
    pub file_name: String,
    pub summary: String,
}

fn plural(n: i32, one: &str, many: &str) -> String {
    format!("{n} {}", if n > 1 { many } else { one })
}

fn record_line(r: &ImportRecord, tz: chrono_tz::Tz) -> RecordLine {
    let local = r.imported_at.with_timezone(&tz);
    let mut summary = format!(
        "{} : {}, {}, {}, {} (non importée{})",
        plural(r.lines, "ligne", "lignes"),
        plural(r.created, "nouvelle", "nouvelles"),
        plural(r.updated, "modifiée", "modifiées"),
        plural(r.unchanged, "inchangée", "inchangées"),
        plural(r.refused, "refusée", "refusées"),
        if r.refused > 1 { "s" } else { "" },
    );
    if r.meetings_added > 0 {
        summary.push_str(&format!(
            " ; {}",
            plural(r.meetings_added, "rencontre ajoutée", "rencontres ajoutées")
        ));
    }
    RecordLine {
        id: r.id,
        at: format!(
            "{} à {}",
            date_fr(local.date_naive()),
            local.format("%-H h %M")
        ),
        who: r.user_name.clone(),
        file_name: r.file_name.clone(),
        summary,
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "meetings/import_upload.html")]
pub struct UploadPage {
    layout: Layout,
    group: Group,
    own_only: bool,
    can_add: bool,
    error: Option<String>,
    done: Option<RecordLine>,
    recent: Vec<RecordLine>,
    max_lines: String,
    example: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct UploadQuery {
    importation: String,
}

const EXAMPLE: &str = "Date;Courriel;Présence;Références données;Valeur données;\
Références reçues;Valeur reçues;Visiteurs;Tête-à-tête;Remerciements;Note
2026-11-24;anne.gagnon@exemple.ca;présent;2;1500;1;;0;1;250;
2026-11-24;bruno.caron@exemple.ca;remplacé;0;;0;;1;0;;Remplacé par son associée
2026-11-24;chloe.roy@exemple.ca;excusé;;;;;;;;En congé
2026-12-01;anne.gagnon@exemple.ca;absent;0;;0;;0;0;;";

async fn upload_page_with(
    state: &AppState,
    user: &CurrentUser,
    group: Group,
    own: Option<i64>,
    error: Option<String>,
    done_id: Option<i64>,
) -> AppResult<UploadPage> {
    let tz = state.config.time_zone;
    let only_by = own.map(|_| user.0.id);
    let records = store::recent(&state.pool, group.id, only_by, 10).await?;
    let done = done_id
        .and_then(|id| records.iter().find(|r| r.id == id))
        .map(|r| record_line(r, tz));
    Ok(UploadPage {
        layout: Layout::new(
            format!("Importer des rencontres — {}", group.name),
            &user.0,
            NAV,
        ),
        group,
        own_only: own.is_some(),
        can_add: ORGANISERS.contains(&user.0.role),
        error,
        done,
        recent: records.iter().map(|r| record_line(r, tz)).collect(),
        max_lines: mi::thousands(mi::MAX_LINES),
        example: EXAMPLE.to_string(),
    })
}

/// `GET /groupes/{id}/rencontres/import`.
pub async fn upload_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(raw): Path<String>,
    Query(q): Query<UploadQuery>,
) -> AppResult<UploadPage> {
    let (group, own) = open_group(&state, &user, &raw).await?;
    let done = q.importation.trim().parse().ok();
    upload_page_with(&state, &user, group, own, None, done).await
}

/// The upload form again with a message about the file.
async fn refused_upload(
    state: &AppState,
    user: &CurrentUser,
    group: Group,
    own: Option<i64>,
    status: StatusCode,
    message: String,
) -> AppResult<Response> {
    let page = upload_page_with(state, user, group, own, Some(message), None).await?;
    Ok((status, page).into_response())
}

/// A file name as shown: its last part, printable, not too long.
fn clean_file_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let name: String = last.chars().filter(|c| !c.is_control()).take(120).collect();
    if name.trim().is_empty() {
        "fichier.csv".into()
    } else {
        name.trim().to_string()
    }
}

/// The file field of the form, or the French message saying why not.
async fn file_field(
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<(String, Vec<u8>), (StatusCode, String)> {
    let broken = || {
        (
            StatusCode::BAD_REQUEST,
            "L'envoi du fichier a échoué ou est incomplet. Choisissez le fichier de nouveau."
                .to_string(),
        )
    };
    let refused = |e: MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            (
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "Ce fichier dépasse {} Mo : séparez-le en plusieurs fichiers.",
                    crate::web::BODY_LIMIT / (1024 * 1024)
                ),
            )
        } else {
            tracing::debug!(error = %e, "envoi de fichier illisible");
            broken()
        }
    };
    let mut multipart = multipart.map_err(|_| broken())?;
    let mut file: Option<(String, Vec<u8>)> = None;
    while let Some(field) = multipart.next_field().await.map_err(refused)? {
        if field.name() != Some("fichier") {
            continue;
        }
        let name = clean_file_name(field.file_name().unwrap_or(""));
        let bytes = field.bytes().await.map_err(refused)?;
        file = Some((name, bytes.to_vec()));
    }
    match file {
        Some((name, bytes)) if !bytes.is_empty() => Ok((name, bytes)),
        Some(_) => Err((
            StatusCode::UNPROCESSABLE_ENTITY,
            mi::FileError::Empty.message(),
        )),
        None => Err((
            StatusCode::UNPROCESSABLE_ENTITY,
            "Choisissez un fichier CSV à importer.".into(),
        )),
    }
}

/// `POST /groupes/{id}/rencontres/import`: keeps a readable file and goes
/// to its preview.
pub async fn upload(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(raw): Path<String>,
    multipart: Result<Multipart, MultipartRejection>,
) -> AppResult<Response> {
    let (group, own) = open_group(&state, &user, &raw).await?;
    let (name, bytes) = match file_field(multipart).await {
        Ok(f) => f,
        Err((status, message)) => {
            return refused_upload(&state, &user, group, own, status, message).await;
        }
    };
    if let Err(e) = mi::read(&bytes) {
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return refused_upload(&state, &user, group, own, status, e.message()).await;
    }
    let token = store::save_upload(&state.pool, user.0.id, group.id, &name, &bytes).await?;
    Ok(Redirect::to(&format!("{}/{token}", base(&group))).into_response())
}

// -- Preview ----------------------------------------------------------------------

/// The outcome of every line of the file, checked against the database as
/// it is now.
async fn compute(
    conn: &mut PgConnection,
    state: &AppState,
    group: &Group,
    who: mi::Importer,
    file: &MeetingFile,
) -> Result<Plan, sqlx::Error> {
    let (ids, emails) = file.keys();
    let dates = file.dates();
    let known = Known {
        members: store::members(&mut *conn, group.district_id, &ids, &emails).await?,
        meetings: store::meetings_on(&mut *conn, group.id, &dates).await?,
        lines: store::lines_on(&mut *conn, group.id, &dates).await?,
    };
    let info = GroupInfo {
        id: group.id,
        meeting_day: group.meeting_day,
    };
    Ok(mi::plan(file, state.today(), &info, who, &known))
}

fn valid_token(token: &str) -> AppResult<()> {
    if token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}

/// The stored file of `token`, read (404 if it is not this user's, not for
/// this group, or has expired).
async fn load(
    conn: &mut PgConnection,
    user: &CurrentUser,
    group: &Group,
    token: &str,
    lock: bool,
) -> AppResult<(String, MeetingFile)> {
    valid_token(token)?;
    let upload = store::load_upload(conn, user.0.id, group.id, token, lock)
        .await?
        .ok_or(AppError::NotFound)?;
    let file = mi::read(&upload.content).map_err(|e| AppError::BadRequest(e.message()))?;
    Ok((upload.file_name, file))
}

/// The group, the stored file of `token` and the plan of its lines, for
/// the preview and its CSV (read-only).
async fn planned(
    state: &AppState,
    user: &CurrentUser,
    raw: &str,
    token: &str,
) -> AppResult<(Group, String, MeetingFile, Plan)> {
    let (group, own) = open_group(state, user, raw).await?;
    let mut conn = state.pool.acquire().await?;
    let (file_name, file) = load(&mut conn, user, &group, token, false).await?;
    let plan = compute(&mut conn, state, &group, importer(user, own), &file).await?;
    Ok((group, file_name, file, plan))
}

pub struct PreviewLine {
    pub line: u64,
    pub key: &'static str,
    pub label: &'static str,
    pub member: String,
    pub date: String,
    pub adds_meeting: bool,
    pub details: Vec<String>,
}

/// The meeting a line goes to (none for a refused line: its date as typed
/// is shown instead).
fn held_on(l: &PlannedLine) -> Option<chrono::NaiveDate> {
    match &l.outcome {
        Outcome::New { held_on, .. }
        | Outcome::Change { held_on, .. }
        | Outcome::Unchanged { held_on, .. } => Some(*held_on),
        Outcome::Refused(_) => None,
    }
}

fn preview_line(l: &PlannedLine) -> PreviewLine {
    let date = held_on(l).map_or_else(|| l.date.clone(), crate::web::meetings::day_label);
    PreviewLine {
        line: l.line,
        key: l.outcome.key(),
        label: l.outcome.label(),
        member: l.member.clone(),
        date,
        adds_meeting: l.adds_meeting,
        details: l.outcome.details(),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "meetings/import_preview.html")]
pub struct PreviewPage {
    layout: Layout,
    group: Group,
    token: String,
    file_name: String,
    encoding: &'static str,
    separator: &'static str,
    counts: Counts,
    added: Vec<String>,
    fingerprint: String,
    lines: Vec<PreviewLine>,
    pager: Pager,
    notice: Option<String>,
    csv_href: String,
    csv_comma_href: String,
}

impl PreviewPage {
    /// « En confirmant, … », naming only what happens.
    fn what_confirming_does(&self) -> String {
        let c = &self.counts;
        let mut parts = Vec::new();
        match c.new {
            0 => {}
            1 => parts.push("1 nouvelle ligne sera enregistrée".to_string()),
            n => parts.push(format!("{n} nouvelles lignes seront enregistrées")),
        }
        match c.changed {
            0 => {}
            1 => parts.push("1 ligne déjà saisie sera modifiée".to_string()),
            n => parts.push(format!("{n} lignes déjà saisies seront modifiées")),
        }
        match c.meetings_added {
            0 => {}
            1 => parts.push("1 rencontre sera ajoutée".to_string()),
            n => parts.push(format!("{n} rencontres seront ajoutées")),
        }
        format!(
            "En confirmant, {}, en une seule fois (chaque ligne modifiée garde son historique).",
            parts.join(", ")
        )
    }

    /// The refused lines' warning next to the button.
    fn skipped(&self) -> String {
        match self.counts.refused {
            0 => String::new(),
            1 => "La ligne refusée ne sera pas importée".into(),
            n => format!("Les {n} lignes refusées ne seront pas importées"),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PreviewQuery {
    page: String,
}

#[allow(clippy::too_many_arguments)]
fn preview_page(
    user: &CurrentUser,
    group: Group,
    token: &str,
    file_name: String,
    file: &MeetingFile,
    plan: &Plan,
    page: usize,
    notice: Option<String>,
) -> PreviewPage {
    // Refused lines first, then changes, new lines and unchanged ones, each
    // in the file's order.
    let rank = |o: &Outcome| match o {
        Outcome::Refused(_) => 0,
        Outcome::Change { .. } => 1,
        Outcome::New { .. } => 2,
        Outcome::Unchanged { .. } => 3,
    };
    let mut listed: Vec<&PlannedLine> = plan.lines.iter().collect();
    listed.sort_by_key(|l| (rank(&l.outcome), l.line));
    let pages = listed.len().div_ceil(PREVIEW_PAGE).max(1);
    let page = page.clamp(1, pages);
    let here = format!("{}/{token}", base(&group));
    let href = |p: usize| format!("{here}?page={p}");
    let csv_href = format!("{here}/rapport.csv");
    PreviewPage {
        layout: Layout::new(
            format!("Aperçu de l'importation — {}", group.name),
            &user.0,
            NAV,
        ),
        token: token.to_string(),
        file_name,
        encoding: file.encoding_label(),
        separator: file.separator_label(),
        counts: plan.counts,
        added: plan
            .added_meetings()
            .into_iter()
            .map(crate::web::meetings::day_label)
            .collect(),
        fingerprint: plan.fingerprint(),
        lines: listed
            .iter()
            .skip((page - 1) * PREVIEW_PAGE)
            .take(PREVIEW_PAGE)
            .map(|l| preview_line(l))
            .collect(),
        pager: Pager {
            page: page as i64,
            pages: pages as i64,
            more: false,
            prev_href: (page > 1).then(|| href(page - 1)),
            next_href: (page < pages).then(|| href(page + 1)),
        },
        notice,
        csv_comma_href: csv::comma_href(&csv_href),
        csv_href,
        group,
    }
}

/// `GET /groupes/{id}/rencontres/import/{token}`.
pub async fn preview(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((raw, token)): Path<(String, String)>,
    Query(q): Query<PreviewQuery>,
) -> AppResult<PreviewPage> {
    let (group, file_name, file, plan) = planned(&state, &user, &raw, &token).await?;
    let page = q.page.trim().parse().unwrap_or(1);
    Ok(preview_page(
        &user, group, &token, file_name, &file, &plan, page, None,
    ))
}

#[derive(Debug, Default, Deserialize)]
pub struct ReportQuery {
    format: Option<String>,
}

/// `GET /groupes/{id}/rencontres/import/{token}/rapport.csv`: every line's
/// outcome, in the file's order (the preview shows a page at a time), to
/// correct the refused lines in a spreadsheet.
pub async fn report_csv(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((raw, token)): Path<(String, String)>,
    Query(q): Query<ReportQuery>,
) -> AppResult<Response> {
    let (group, _, _, plan) = planned(&state, &user, &raw, &token).await?;
    let mut out = CsvEncoder::new(
        Dialect::from_param(q.format.as_deref()),
        &[
            "Ligne",
            "Résultat",
            "Membre",
            "Rencontre",
            "Rencontre ajoutée",
            "Détail",
        ],
    )?;
    for l in &plan.lines {
        let date = held_on(l).map_or_else(|| l.date.clone(), |d| d.to_string());
        out.row([
            Cell::Int(i64::try_from(l.line).unwrap_or(i64::MAX)),
            Cell::from(l.outcome.label()),
            Cell::from(&l.member),
            Cell::from(date),
            Cell::from(if l.adds_meeting { "oui" } else { "non" }),
            Cell::from(l.outcome.details().join(" ; ")),
        ])?;
    }
    out.into_response(&format!("importation-rencontres-{}", group.id))
}

// -- Confirmation -------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ConfirmForm {
    empreinte: String,
}

/// `POST /groupes/{id}/rencontres/import/{token}`: writes every line the
/// preview showed (the refused ones skipped) in one transaction, or nothing.
pub async fn confirm(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((raw, token)): Path<(String, String)>,
    Form(form): Form<ConfirmForm>,
) -> AppResult<Response> {
    let (group, own) = open_group(&state, &user, &raw).await?;
    let who = importer(&user, own);
    let mut tx = state.pool.begin().await?;
    let (file_name, file) = load(&mut tx, &user, &group, &token, true).await?;
    let plan = compute(&mut tx, &state, &group, who, &file).await?;
    if plan.fingerprint() != form.empreinte.trim() {
        tx.rollback().await?;
        let notice = "Les rencontres ou leurs lignes ont changé depuis l'aperçu : voici l'aperçu \
                      à jour. Rien n'a été enregistré ; vérifiez-le puis confirmez de nouveau.";
        return Ok(conflict(
            &user, group, &token, file_name, &file, &plan, notice,
        ));
    }
    if !plan.counts.writes() {
        tx.rollback().await?;
        let notice = "Ce fichier n'ajoute ni ne modifie aucune ligne : rien à importer.";
        return Ok(conflict(
            &user, group, &token, file_name, &file, &plan, notice,
        ));
    }
    let importer = Importer {
        user_id: user.0.id,
        group_id: group.id,
        file_name: &file_name,
        token: &token,
    };
    match store::write(&mut tx, &importer, &plan).await {
        Ok(id) => {
            tx.commit().await?;
            tracing::info!(
                import = id,
                group = group.id,
                new = plan.counts.new,
                changed = plan.counts.changed,
                "importation de rencontres enregistrée"
            );
            Ok(Redirect::to(&format!("{}?importation={id}", base(&group))).into_response())
        }
        Err(WriteError::Changed) => {
            tx.rollback().await?;
            let mut conn = state.pool.acquire().await?;
            let fresh = compute(&mut conn, &state, &group, who, &file).await?;
            let notice = "Une rencontre ou une ligne a été modifiée par quelqu'un d'autre \
                          pendant l'enregistrement : rien n'a été enregistré. Vérifiez l'aperçu à \
                          jour puis confirmez de nouveau.";
            Ok(conflict(
                &user, group, &token, file_name, &file, &fresh, notice,
            ))
        }
        Err(WriteError::Db(e)) => Err(e.into()),
    }
}

/// The preview again, with why the confirmation was not carried out.
fn conflict(
    user: &CurrentUser,
    group: Group,
    token: &str,
    file_name: String,
    file: &MeetingFile,
    plan: &Plan,
    notice: &str,
) -> Response {
    let page = preview_page(
        user,
        group,
        token,
        file_name,
        file,
        plan,
        1,
        Some(notice.into()),
    );
    (StatusCode::CONFLICT, page).into_response()
}
