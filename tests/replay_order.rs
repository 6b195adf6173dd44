//! `replay`'s list of mails: every mail under the paths given, once, in Date order (ties by
//! path, then place in an mbox), read back in batches from its on-disk sort.

use chrono::{TimeZone, Utc};
use std::path::{Path, PathBuf};
use supportbot::transport::replay::{Sorted, Source};

fn mail(date: &str, id: &str) -> String {
    format!(
        "From: a@example.com\r\nDate: {date}\r\nMessage-ID: <{id}>\r\nSubject: x\r\n\r\nbody\r\n"
    )
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("dir");
    std::fs::write(path, text).expect("write");
}

/// The Message-ID of each source, in the order replay hands them out, `batch` at a time.
async fn order(paths: &[PathBuf], batch: usize) -> Vec<String> {
    let now = Utc
        .with_ymd_and_hms(2026, 11, 27, 0, 0, 0)
        .single()
        .expect("date");
    let mut list = Sorted::collect(paths, now).await.expect("collect");
    let mut ids = Vec::new();
    loop {
        let chunk = list.next_batch(batch).await.expect("batch");
        if chunk.is_empty() {
            break;
        }
        assert!(chunk.len() <= batch);
        for s in chunk {
            let raw = s.bytes().expect("bytes");
            let text = String::from_utf8_lossy(&raw).into_owned();
            let id = text
                .lines()
                .find_map(|l| l.strip_prefix("Message-ID: <"))
                .map(|v| v.trim_end_matches('>').to_string())
                .unwrap_or_else(|| "?".into());
            ids.push(match s {
                Source::File(_) => id,
                Source::Mbox(_) => format!("mbox:{id}"),
            });
        }
    }
    assert_eq!(ids.len() as u64, list.len());
    ids
}

#[tokio::test]
async fn mails_come_back_in_date_order_in_batches_from_maildirs_folders_and_mboxes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    // A Maildir whose file names sort against their dates; its subfolder is another mailbox.
    write(
        &d.join("box/cur/a"),
        &mail("Wed, 4 Nov 2026 10:00:00 +0800", "third"),
    );
    write(
        &d.join("box/new/b"),
        &mail("Mon, 2 Nov 2026 10:00:00 +0800", "first"),
    );
    write(
        &d.join("box/.Sent/cur/c"),
        &mail("Mon, 2 Nov 2026 09:00:00 +0800", "other-box"),
    );
    write(&d.join("box/cur/notes.json"), "{}");
    // A plain folder with a nested one; same Date twice: ties go by path.
    write(
        &d.join("eml/z/y.eml"),
        &mail("Tue, 3 Nov 2026 10:00:00 +0800", "second-b"),
    );
    write(
        &d.join("eml/x.eml"),
        &mail("Tue, 3 Nov 2026 10:00:00 +0800", "second-a"),
    );
    write(
        &d.join("eml/.hidden.eml"),
        &mail("Tue, 3 Nov 2026 10:00:00 +0800", "hidden"),
    );
    // An mbox whose mails are out of order; no Date counts as now.
    let mut mbox = String::new();
    for m in [
        mail("Fri, 6 Nov 2026 10:00:00 +0800", "fifth"),
        mail("Thu, 5 Nov 2026 10:00:00 +0800", "fourth"),
        "From: a@example.com\r\nMessage-ID: <undated>\r\n\r\nno date\r\n".to_string(),
    ] {
        mbox.push_str("From a@example.com Mon Nov  2 09:30:00 2026\n");
        mbox.push_str(&m.replace("\r\n", "\n"));
        mbox.push('\n');
    }
    write(&d.join("archive.mbox"), &mbox);

    let paths = [d.join("box"), d.join("eml"), d.join("archive.mbox")];
    let want = [
        "first",
        "second-a",
        "second-b",
        "third",
        "mbox:fourth",
        "mbox:fifth",
        "mbox:undated",
    ];
    for batch in [1, 2, 3, 500] {
        assert_eq!(order(&paths, batch).await, want, "batch {batch}");
    }
    // The same path twice lists its mails once.
    assert_eq!(order(&[d.join("eml"), d.join("eml")], 10).await.len(), 2);
}

#[cfg(unix)]
#[tokio::test]
async fn a_link_in_a_folder_is_followed_to_its_mail_or_folder() {
    // Entries are told apart by what the folder says of them; a link says only that it is a
    // link, so it is looked at: a link to a mail is that mail, a link to a folder is read.
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    write(
        &d.join("elsewhere/linked.eml"),
        &mail("Tue, 3 Nov 2026 10:00:00 +0800", "through-a-file-link"),
    );
    write(
        &d.join("other/inner.eml"),
        &mail("Wed, 4 Nov 2026 10:00:00 +0800", "through-a-folder-link"),
    );
    write(
        &d.join("eml/plain.eml"),
        &mail("Mon, 2 Nov 2026 10:00:00 +0800", "plain"),
    );
    std::os::unix::fs::symlink(d.join("elsewhere/linked.eml"), d.join("eml/file-link.eml"))
        .expect("file link");
    std::os::unix::fs::symlink(d.join("other"), d.join("eml/folder-link")).expect("folder link");
    assert_eq!(
        order(&[d.join("eml")], 10).await,
        ["plain", "through-a-file-link", "through-a-folder-link"]
    );
}
