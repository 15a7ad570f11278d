//! The phone page's shift form as the server decides it: every error at once, no service chosen
//! until the worker chooses one, the shift checked (with each part's length) before it is saved,
//! a part past midnight or over 12 hours saved only once confirmed, the two readings of a time
//! the clocks repeat, clashes in plain words and names instead of codes.

use crate::harness::Api;
use crate::on_both;
use crate::support::TestDb;

/// A signed-in worker posting the shift form.
struct Worker<'a> {
    api: &'a Api,
    cookie: String,
    csrf: String,
}

impl<'a> Worker<'a> {
    async fn sign_in(api: &'a Api) -> Worker<'a> {
        let (cookie, csrf) = api.sign_in("worker").await;
        Worker { api, cookie, csrf }
    }

    async fn get(&self, path: &str) -> String {
        self.api
            .client
            .get(format!("{}{path}", self.api.base))
            .header("cookie", &self.cookie)
            .send()
            .await
            .expect("page")
            .text()
            .await
            .expect("page text")
    }

    /// Posts the new-shift form with `pairs` (the CSRF value added); answers with the status,
    /// the `Location` of a redirect and the page.
    async fn post(&self, pairs: &[(&str, &str)]) -> (u16, String, String) {
        self.post_to("/shifts", pairs).await
    }

    /// Posts a form to `path`, as [`Worker::post`] does.
    async fn post_to(&self, path: &str, pairs: &[(&str, &str)]) -> (u16, String, String) {
        let mut all = vec![("csrf", self.csrf.as_str())];
        all.extend_from_slice(pairs);
        let response = self
            .api
            .client
            .post(format!("{}{path}", self.api.base))
            .header("cookie", &self.cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(serde_urlencoded::to_string(&all).expect("form"))
            .send()
            .await
            .expect("form posted");
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        (status, location, response.text().await.expect("page"))
    }
}

/// A one-part form for `date`, `start`–`end`, with Anne supported.
fn one_part<'a>(
    key: &'a str,
    date: &'a str,
    start: &'a str,
    end: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("key", key),
        ("date", date),
        ("segments", "1"),
        ("seg0_start", start),
        ("seg0_end", end),
        ("seg0_service", "PERSONAL_CARE"),
        ("seg0_people", "A"),
    ]
}

/// The value of the hidden field `name` on a page.
fn hidden(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no field {name} on the page:\n{page}"))
        + marker.len();
    page[start..].split('"').next().unwrap_or("").to_owned()
}

/// The page's text between tags, with runs of white space made one space.
fn text(page: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in page.chars() {
        match c {
            '<' => {
                in_tag = true;
                out.push(' ');
            }
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

on_both!(a_typo_past_midnight_is_saved_only_once_confirmed);
async fn a_typo_past_midnight_is_saved_only_once_confirmed(db: &TestDb) {
    let api = Api::start(db).await;
    let worker = Worker::sign_in(&api).await;
    let typo = one_part("typo", "2026-10-07", "09:00", "08:30");
    // Saved straight away or checked first, it is shown with its question, not saved.
    for action in ["save", "check"] {
        let mut form = typo.clone();
        form.push(("action", action));
        let (status, _, page) = worker.post(&form).await;
        assert_eq!(status, 200, "{action}: {page}");
        let words = text(&page);
        assert!(
            words.contains("Part 1 runs past midnight, from 09:00 on Wed 7 Oct to 08:30 on Thu 8 Oct and lasts 23 hours 30 minutes."),
            "{action}: {words}"
        );
        assert!(words.contains("Length 23 hours 30 minutes"), "{words}");
        assert!(page.contains("id=\"confirm\""), "{page}");
    }
    assert_eq!(db.count("shift").await, 0, "nothing is saved unconfirmed");
    let (_, _, page) = worker
        .post(&[typo.as_slice(), &[("action", "check")][..]].concat())
        .await;
    let fingerprint = hidden(&page, "checked");
    // Saving the checked page without ticking the box is an error beside the box.
    let mut unticked = typo.clone();
    unticked.extend([("checked", fingerprint.as_str()), ("action", "save")]);
    let (status, _, page) = worker.post(&unticked).await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("id=\"confirm-error\""), "{page}");
    assert!(
        page.contains("href=\"#confirm\""),
        "the summary links to the box: {page}"
    );
    // A confirmation of other times does not confirm these.
    let mut other = typo.clone();
    other.extend([
        ("checked", fingerprint.as_str()),
        ("confirm", "00000000000000000000000000000000"),
        ("action", "save"),
    ]);
    assert_eq!(worker.post(&other).await.0, 422);
    // Times changed since the check are shown again, not saved.
    let mut changed = one_part("typo", "2026-10-07", "09:00", "08:15");
    changed.extend([
        ("checked", fingerprint.as_str()),
        ("confirm", fingerprint.as_str()),
        ("action", "save"),
    ]);
    let (status, _, page) = worker.post(&changed).await;
    assert_eq!(status, 200, "{page}");
    assert!(text(&page).contains("lasts 23 hours 15 minutes"), "{page}");
    assert_eq!(db.count("shift").await, 0, "nothing is saved unconfirmed");
    // Confirmed, it is saved.
    let mut confirmed = typo.clone();
    confirmed.extend([
        ("checked", fingerprint.as_str()),
        ("confirm", fingerprint.as_str()),
        ("action", "save"),
    ]);
    let (status, location, page) = worker.post(&confirmed).await;
    assert_eq!(
        (status, location.as_str()),
        (303, "/shifts?done=recorded"),
        "{page}"
    );
    assert_eq!(db.count("shift").await, 1);
    // An ordinary shift asks nothing and shows its lengths before it is saved.
    let mut day = one_part("day", "2026-10-09", "09:00", "10:30");
    day.push(("action", "check"));
    let (status, _, page) = worker.post(&day).await;
    assert_eq!(status, 200, "{page}");
    let words = text(&page);
    for expected in [
        "Part 1 Time 09:00 to 10:30 on Fri 9 Oct Length 1 hour 30 minutes Service Personal care and support People supported Anne Ash",
        "Whole shift Time 09:00 to 10:30 on Fri 9 Oct Time worked 1 hour 30 minutes",
    ] {
        assert!(words.contains(expected), "{expected}: {words}");
    }
    assert!(!page.contains("id=\"confirm\""), "{page}");
    assert_eq!(db.count("shift").await, 1, "checking saves nothing");
    api.stop().await;
}

on_both!(every_error_shows_at_once_and_no_service_is_chosen_for_the_worker);
async fn every_error_shows_at_once_and_no_service_is_chosen_for_the_worker(db: &TestDb) {
    let api = Api::start(db).await;
    let worker = Worker::sign_in(&api).await;
    let new = worker.get("/shifts/new").await;
    assert!(
        new.contains("<option value=\"\" selected>Choose a service</option>"),
        "{new}"
    );
    assert!(
        new.contains("<option value=\"PERSONAL_CARE\">Personal care and support</option>"),
        "services are offered by name, none chosen: {new}"
    );
    // No end, no service, miles that are not a number in part 1; a person who does not exist
    // and notes too long in part 2: every one named at once.
    let notes = "x".repeat(2_001);
    let form = [
        ("key", "errors"),
        ("date", "2026-10-06"),
        ("segments", "2"),
        ("seg0_start", "09:00"),
        ("seg0_end", ""),
        ("seg0_service", ""),
        ("seg0_miles", "lots"),
        ("seg1_start", "11:00"),
        ("seg1_end", "12:00"),
        ("seg1_service", "PERSONAL_CARE"),
        ("seg1_people", "Z9"),
        ("seg1_notes", notes.as_str()),
        ("action", "check"),
    ];
    let (status, _, page) = worker.post(&form).await;
    assert_eq!(status, 422, "{page}");
    for field in [
        "seg0_end",
        "seg0_service",
        "seg0_miles",
        "seg1_people",
        "seg1_notes",
    ] {
        assert!(
            page.contains(&format!("id=\"{field}-error\"")),
            "{field} has no error beside it: {page}"
        );
    }
    for target in [
        "#seg0_end",
        "#seg0_service",
        "#seg0_miles",
        "#seg1_people-0",
        "#seg1_notes",
    ] {
        assert!(
            page.contains(&format!("href=\"{target}\"")),
            "the summary does not link to {target}: {page}"
        );
    }
    let words = text(&page);
    assert!(
        words.contains("Choose the service you gave in part 1"),
        "{words}"
    );
    assert_eq!(db.count("shift").await, 0);
    // "Add another part" leaves the new part with no service chosen.
    let add = [
        ("key", "add"),
        ("date", "2026-10-06"),
        ("segments", "1"),
        ("seg0_start", "09:00"),
        ("seg0_end", "10:00"),
        ("seg0_service", "PERSONAL_CARE"),
        ("action", "add"),
    ];
    let (status, _, page) = worker.post(&add).await;
    assert_eq!(status, 200, "{page}");
    let part_two = &page[page.find("id=\"seg1_service\"").expect("part 2")..];
    let select = &part_two[..part_two.find("</select>").expect("end of select")];
    assert!(
        select.contains("<option value=\"\" selected>Choose a service</option>")
            && !select.contains("PERSONAL_CARE\" selected"),
        "{select}"
    );
    api.stop().await;
}

on_both!(the_repeated_hour_is_offered_as_its_two_readings);
async fn the_repeated_hour_is_offered_as_its_two_readings(db: &TestDb) {
    let api = Api::start(db).await;
    let worker = Worker::sign_in(&api).await;
    let mut form = one_part("repeat", "2026-10-25", "01:30", "03:00");
    form.push(("action", "check"));
    let (status, _, page) = worker.post(&form).await;
    assert_eq!(status, 422, "{page}");
    let words = text(&page);
    assert!(words.contains("01:30 BST (first time)"), "{words}");
    assert!(words.contains("01:30 GMT (second time)"), "{words}");
    assert!(
        words.contains("01:30 happens twice on Sun 25 Oct, when the clocks go back"),
        "{words}"
    );
    assert!(!words.contains("offset"), "no offset is asked for: {words}");
    assert!(page.contains("type=\"radio\""), "{page}");
    for (reading, length) in [
        ("second", "1 hour 30 minutes"),
        ("first", "2 hours 30 minutes"),
    ] {
        let mut chosen = form.clone();
        chosen.push(("seg0_start_reading", reading));
        let (status, _, page) = worker.post(&chosen).await;
        assert_eq!(status, 200, "{reading}: {page}");
        assert!(
            text(&page).contains(&format!("Length {length}")),
            "{reading}: {}",
            text(&page)
        );
    }
    let mut saved = form.clone();
    saved.retain(|(name, _)| *name != "action");
    saved.extend([("seg0_start_reading", "first"), ("action", "save")]);
    let (status, _, page) = worker.post(&saved).await;
    assert_eq!(status, 303, "{page}");
    let list = text(&worker.get("/shifts").await);
    assert!(
        list.contains("Sun 25 Oct, 01:30 to 03:00 · 2 hours 30 minutes"),
        "the first 01:30 was stored: {list}"
    );
    // A shift stored at the second 01:30 (of 31 October 2027) is corrected with that reading
    // chosen, through the same check.
    let stored = api
        .submit(
            "worker",
            "gmt",
            &serde_json::json!({"segments": [{"start": "2027-10-31T01:30+00:00", "end": "2027-10-31T02:30",
                "service": "PERSONAL_CARE", "people": ["B"]}]}),
        )
        .await;
    assert_eq!(stored.status.as_u16(), 201, "{}", stored.text);
    let id = stored.json()["shift_id"].as_i64().expect("id");
    let edit = worker.get(&format!("/shifts/{id}/edit")).await;
    let second = edit
        .find("id=\"seg0_start_reading-second\"")
        .expect("the readings are offered when correcting");
    let radio = &edit[edit[..second].rfind('<').expect("tag")..];
    let radio = &radio[..radio.find('>').expect("tag end")];
    assert!(
        radio.contains("checked"),
        "the stored reading is chosen: {radio}"
    );
    let correction = [
        ("version", "1"),
        ("date", "2027-10-31"),
        ("segments", "1"),
        ("seg0_start", "01:30"),
        ("seg0_start_reading", "second"),
        ("seg0_end", "03:00"),
        ("seg0_service", "PERSONAL_CARE"),
        ("seg0_people", "B"),
    ];
    let path = format!("/shifts/{id}");
    let check = [&correction[..], &[("action", "check")]].concat();
    let (status, _, page) = worker.post_to(&path, &check).await;
    assert_eq!(status, 200, "{page}");
    assert!(
        text(&page).contains("Length 1 hour 30 minutes"),
        "{}",
        text(&page)
    );
    let fingerprint = hidden(&page, "checked");
    let save = [
        &correction[..],
        &[("checked", fingerprint.as_str()), ("action", "save")],
    ]
    .concat();
    let (status, location, page) = worker.post_to(&path, &save).await;
    assert_eq!(
        (status, location.as_str()),
        (303, "/shifts?done=corrected"),
        "{page}"
    );
    let read = api
        .send(
            "worker",
            reqwest::Method::GET,
            &path.replace("/shifts", "/api/v1/shifts"),
            &[],
            None,
        )
        .await;
    assert_eq!(read.json()["minutes"], 90, "{}", read.text);
    api.stop().await;
}

on_both!(a_clash_on_the_page_says_which_shift_and_pages_show_names);
async fn a_clash_on_the_page_says_which_shift_and_pages_show_names(db: &TestDb) {
    let api = Api::start(db).await;
    let stored = api
        .submit(
            "worker",
            "s1",
            &serde_json::json!({"shift_ref": "S1", "segments": [
                {"start": "2026-10-06T09:00", "end": "2026-10-06T11:00", "service": "PERSONAL_CARE", "people": ["A", "B"]}]}),
        )
        .await;
    assert_eq!(stored.status.as_u16(), 201, "{}", stored.text);
    let worker = Worker::sign_in(&api).await;
    let mut form = one_part("clash", "2026-10-06", "10:00", "12:00");
    form.push(("action", "check"));
    let (status, _, page) = worker.post(&form).await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("id=\"seg0_start-error\""), "{page}");
    assert!(
        text(&page).contains("You already have a shift from 09:00 to 11:00 that day (S1)"),
        "{}",
        text(&page)
    );
    let list = text(&worker.get("/shifts").await);
    assert!(
        list.contains("09:00–11:00 Personal care and support: Anne Ash, Ben Birch"),
        "{list}"
    );
    assert!(!list.contains("PERSONAL_CARE"), "{list}");
    let (cookie, _) = api.sign_in("manager").await;
    let approvals = api
        .client
        .get(format!("{}/approvals", api.base))
        .header("cookie", cookie)
        .send()
        .await
        .expect("approvals")
        .text()
        .await
        .expect("page");
    let approvals = text(&approvals);
    assert!(
        approvals.contains("Cost centres: Maple House"),
        "{approvals}"
    );
    assert!(approvals.contains("Sam Jones"), "{approvals}");
    for code in ["PERSONAL_CARE", "CC1", "Worker W1"] {
        assert!(!approvals.contains(code), "{code}: {approvals}");
    }
    api.stop().await;
}
