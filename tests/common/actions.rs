//! A logged-in person in their own browser, and the product's actions sent
//! the way its forms send them: one function per action, so that a field
//! every form of an action gains (a confirmation, say) is added here once.
use super::{PASSWORD, TestApp};

/// A logged-in client (its own cookie jar) on `app`.
pub struct Browser<'a> {
    pub app: &'a TestApp,
    pub client: reqwest::Client,
}

impl<'a> Browser<'a> {
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.app.url(path))
            .send()
            .await
            .expect("GET")
    }

    /// The page's status and text.
    pub async fn page(&self, path: &str) -> (u16, String) {
        let resp = self.get(path).await;
        let status = resp.status().as_u16();
        (status, resp.text().await.expect("page"))
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(self.app.url(path))
            .header("origin", format!("http://{}", self.app.addr))
            .form(form)
            .send()
            .await
            .expect("POST")
    }
}

/// Logs `email` in with the test password, in a new browser.
pub async fn log_in<'a>(app: &'a TestApp, email: &str) -> Browser<'a> {
    let browser = Browser {
        app,
        client: app.new_client(),
    };
    let resp = browser
        .post("/login", &[("email", email), ("password", PASSWORD)])
        .await;
    assert_eq!(resp.status(), 303, "connexion de {email}");
    browser
}

/// « Enregistrer un suivi » on the member file.
pub async fn log_follow_up(
    b: &Browser<'_>,
    member: i64,
    body: &str,
    state: &str,
) -> reqwest::Response {
    b.post(
        &format!("/membres/{member}/suivis"),
        &[("channel", "call"), ("body", body), ("state", state)],
    )
    .await
}

/// « Corriger » a follow-up.
pub async fn correct_follow_up(
    b: &Browser<'_>,
    member: i64,
    follow_up: i64,
    body: &str,
) -> reqwest::Response {
    b.post(
        &format!("/membres/{member}/suivis/{follow_up}/correction"),
        &[("body", body)],
    )
    .await
}

/// « Reporter la relance » to `date`.
pub async fn reschedule(b: &Browser<'_>, member: i64, date: &str) -> reqwest::Response {
    b.post(
        &format!("/membres/{member}/relance"),
        &[("next_date", date)],
    )
    .await
}

/// « Demande de facturation » with these fields (`decision`,
/// `new_formula`, `amount`, `note`).
pub async fn request_billing(
    b: &Browser<'_>,
    member: i64,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    b.post(&format!("/membres/{member}/facturation"), fields)
        .await
}

/// « Renouvelle tel quel », nothing else said.
pub async fn request_renewal_as_is(b: &Browser<'_>, member: i64) -> reqwest::Response {
    request_billing(b, member, &[("decision", "renew_same")]).await
}

/// The member file's section that the billing buttons come back to.
pub fn billing_of(member: i64) -> String {
    format!("/membres/{member}#facturation")
}

/// The member confirms the invoice reached them; `back` is the page the
/// button comes back to (`""`: the billing queue).
pub async fn confirm_received(b: &Browser<'_>, request: i64, back: &str) -> reqwest::Response {
    b.post(
        &format!("/facturation/{request}/recue"),
        &[("retour", back)],
    )
    .await
}

/// The requester withdraws a request not yet invoiced; `back` as above.
pub async fn cancel_billing(b: &Browser<'_>, request: i64, back: &str) -> reqwest::Response {
    b.post(
        &format!("/facturation/{request}/annulee"),
        &[("retour", back)],
    )
    .await
}

/// Billing marks the invoice sent.
pub async fn send_invoice(b: &Browser<'_>, request: i64) -> reqwest::Response {
    b.post(&format!("/facturation/{request}/envoyee"), &[])
        .await
}

/// Billing records the payment (the renewal follows).
pub async fn mark_paid(b: &Browser<'_>, request: i64) -> reqwest::Response {
    b.post(
        &format!("/facturation/{request}/payee"),
        &[("confirme", "oui")],
    )
    .await
}

/// The id of the member's newest billing request (the one just asked for).
pub async fn latest_request(pool: &sqlx::PgPool, member: i64) -> i64 {
    sqlx::query_scalar(
        "SELECT id FROM billing_requests WHERE member_id = $1 ORDER BY id DESC LIMIT 1",
    )
    .bind(member)
    .fetch_one(pool)
    .await
    .expect("demande de facturation")
}

/// `asker` asks for the member's invoice with `fields` (see
/// `request_billing`) and `billing` marks it sent; each step must succeed
/// (303). Returns the request's id.
pub async fn ask_and_send(
    asker: &Browser<'_>,
    billing: &Browser<'_>,
    member: i64,
    fields: &[(&str, &str)],
) -> i64 {
    let asked = request_billing(asker, member, fields).await;
    assert_eq!(asked.status(), 303, "demande de facturation");
    let request = latest_request(&asker.app.pool, member).await;
    let sent = send_invoice(billing, request).await;
    assert_eq!(sent.status(), 303, "facture envoyée");
    request
}

/// A renewal through its whole billing path: asked for by `asker` with
/// `fields`, invoice sent and payment recorded by `billing`, each step a
/// success (303), so the member is renewed. Returns the request's id.
pub async fn ask_send_and_pay(
    asker: &Browser<'_>,
    billing: &Browser<'_>,
    member: i64,
    fields: &[(&str, &str)],
) -> i64 {
    let request = ask_and_send(asker, billing, member, fields).await;
    let paid = mark_paid(billing, request).await;
    let status = paid.status();
    assert_eq!(
        status,
        303,
        "paiement : {}",
        paid.text().await.unwrap_or_default()
    );
    request
}

/// Direction records a renewal without a billing request.
pub async fn record_renewal(b: &Browser<'_>, member: i64) -> reqwest::Response {
    b.post(
        &format!("/membres/{member}/renouvellement"),
        &[("confirme", "oui")],
    )
    .await
}

/// « Départ du membre » on `lost_on` for the reason of id `reason` (as
/// typed: it may be empty or wrong).
pub async fn depart(
    b: &Browser<'_>,
    member: i64,
    lost_on: &str,
    reason: &str,
) -> reqwest::Response {
    b.post(
        &format!("/membres/{member}/depart"),
        &[
            ("confirme", "oui"),
            ("lost_on", lost_on),
            ("reason_id", reason),
        ],
    )
    .await
}

/// « Réactiver » a lost member with a new renewal date.
pub async fn reactivate(b: &Browser<'_>, member: i64, renewal_date: &str) -> reqwest::Response {
    b.post(
        &format!("/membres/{member}/reactivation"),
        &[("confirme", "oui"), ("renewal_date", renewal_date)],
    )
    .await
}

/// The district manager hands `members` to `representative`.
pub async fn reassign(b: &Browser<'_>, members: &[i64], representative: i64) -> reqwest::Response {
    let ids: Vec<String> = members.iter().map(i64::to_string).collect();
    let rep = representative.to_string();
    let mut form: Vec<(&str, &str)> = ids.iter().map(|id| ("member_id", id.as_str())).collect();
    form.push(("representative_id", &rep));
    b.post("/district/reassigner", &form).await
}

/// The id of a reason of the catalogue (for a departure), as the form
/// sends it.
pub async fn some_reason(pool: &sqlx::PgPool) -> String {
    reason_named(pool, "Manque de temps").await
}

/// The id of the reason labelled `label`, as the form sends it.
pub async fn reason_named(pool: &sqlx::PgPool, label: &str) -> String {
    let id: i64 = sqlx::query_scalar("SELECT id FROM reasons WHERE label = $1")
        .bind(label)
        .fetch_one(pool)
        .await
        .expect("raison");
    id.to_string()
}

impl TestApp {
    /// This app's own client as a browser (its cookies, its login).
    pub fn browser(&self) -> Browser<'_> {
        Browser {
            app: self,
            client: self.client.clone(),
        }
    }
}

/// The member form as the browser sends it: a regional « Comptable » of
/// `district`, with `overrides` replacing or adding fields.
pub fn member_form(district: i64, overrides: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut form: Vec<(String, String)> = [
        ("first_name", "Julie"),
        ("last_name", "Pelletier"),
        ("business_name", "Pelletier Notaires inc."),
        ("profession", "Comptable"),
        ("email", "julie@exemple.ca"),
        ("phone", "514 555-0101"),
        ("city", "Montréal"),
        ("group_id", ""),
        ("formula", "regional"),
        ("representative_id", ""),
        ("join_date", "2024-05-01"),
        ("renewal_date", "2027-05-01"),
        ("term_months", "12"),
        ("gr_credits", ""),
        ("notes", ""),
        ("version", ""),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    form.push(("district_id".into(), district.to_string()));
    for (k, v) in overrides {
        match form.iter_mut().find(|(name, _)| name == k) {
            Some(slot) => slot.1 = v.to_string(),
            None => form.push((k.to_string(), v.to_string())),
        }
    }
    form
}

/// « Nouveau membre ».
pub async fn create_member(b: &Browser<'_>, form: &[(String, String)]) -> reqwest::Response {
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    b.post("/membres/nouveau", &pairs).await
}

/// « Modifier la fiche » (the form must carry the version it was opened on).
pub async fn edit_member(
    b: &Browser<'_>,
    member: i64,
    form: &[(String, String)],
) -> reqwest::Response {
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    b.post(&format!("/membres/{member}/modifier"), &pairs).await
}
