//! The TOML config (interface.md "Config"): transports, database, time zone, rule settings,
//! field-name synonyms and the staff directory. Loaded once and validated at the edge.

use crate::calendar::{Calendar, CalendarConfig};
use crate::directory::{Directory, Person};
use crate::parse::FieldSchema;
use crate::schedule::settings::{Schedules, SchedulesConfig, Sla, SlaConfig, default_sla};
use anyhow::{Context, anyhow, bail};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub mod check;

/// Every field name a workflow body may carry (the one table is in `parse::fields`).
pub use crate::parse::fields::FIELD_NAMES;

/// `[mailbox]`: where mail comes in.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailboxConfig {
    /// `maildir:PATH`, `imaps://host:port/FOLDER` or `imap://host:port/FOLDER`.
    pub url: String,
    /// The shared workflow mailbox's address (and IMAP login).
    pub user: String,
    /// `none` for plaintext IMAP on loopback (tests).
    pub tls: Option<String>,
    /// Act only on mail this authentication server vouched for.
    pub trusted_authserv_id: Option<String>,
    /// IMAP: where a handled mail is moved (created if missing), so the inbox holds only new mail.
    #[serde(default = "defaults::processed_folder")]
    pub processed_folder: String,
    /// IMAP: where a mail that cannot be read is moved (created if missing); admins are told.
    #[serde(default = "defaults::dead_letter_folder")]
    pub dead_letter_folder: String,
    /// IMAP: IDLE is re-issued after this many minutes (RFC 2177: servers may drop it at 30).
    #[serde(default = "defaults::idle_restart_minutes")]
    pub idle_restart_minutes: u64,
    /// IMAP without IDLE: seconds between looks at the folder.
    #[serde(default = "defaults::poll_seconds")]
    pub poll_seconds: u64,
    /// IMAP: the longest wait between reconnect attempts (the backoff doubles up to it).
    #[serde(default = "defaults::reconnect_max_seconds")]
    pub reconnect_max_seconds: u64,
    /// A mail larger than this is not read but dead-lettered (a workflow mail is text).
    #[serde(default = "defaults::max_message_bytes")]
    pub max_message_bytes: u64,
    /// OAuth2 (SASL XOAUTH2): a shell command printing an access token for `user`; run at
    /// each login, so supportbot holds no client secret. Instead of the password.
    pub token_command: Option<String>,
    /// OAuth2: a file holding the access token, kept fresh by something else; read at each login.
    pub token_file: Option<PathBuf>,
}

/// Defaults of the transport keys (documented in docs/production.md).
mod defaults {
    pub fn processed_folder() -> String {
        "Processed".into()
    }
    pub fn dead_letter_folder() -> String {
        "DeadLetter".into()
    }
    pub fn idle_restart_minutes() -> u64 {
        25
    }
    pub fn poll_seconds() -> u64 {
        60
    }
    pub fn reconnect_max_seconds() -> u64 {
        300
    }
    pub fn max_message_bytes() -> u64 {
        10 * 1024 * 1024
    }
    pub fn retry_max_seconds() -> u64 {
        300
    }
    pub fn timeout_seconds() -> u64 {
        60
    }
    pub fn claim_seconds() -> u64 {
        600
    }
}

/// `[smtp]`: where replies go out.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    /// `maildir:PATH`, `smtp://`, `smtps://` or `smtp+plain://`.
    pub url: String,
    /// The From of every mail the bot sends, e.g. `技术支持流程 <supportbot@example.com>`.
    pub from: String,
    /// SMTP login (default: the address of `from`); password from env SUPPORTBOT_SMTP_PASSWORD.
    pub user: Option<String>,
    /// The longest wait between retries of mail the server deferred (4xx, no connection).
    #[serde(default = "defaults::retry_max_seconds")]
    pub retry_max_seconds: u64,
    /// Seconds an SMTP conversation may take before it counts as a failed connection.
    #[serde(default = "defaults::timeout_seconds")]
    pub timeout_seconds: u64,
    /// How long a sender's claim on a queued mail holds: a sender killed mid-send leaves its
    /// mail claimed, and another sender takes it over only after this. Longer than any one
    /// delivery may take (see `timeout_seconds`), or a slow delivery could be repeated.
    #[serde(default = "defaults::claim_seconds")]
    pub claim_seconds: u64,
    /// OAuth2 (SASL XOAUTH2): a shell command printing an access token for the SMTP login;
    /// re-run before the token expires and after the server refused it. Instead of the password.
    pub token_command: Option<String>,
    /// OAuth2: a file holding the access token, kept fresh by something else.
    pub token_file: Option<PathBuf>,
}

/// `[database]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `sqlite:PATH`.
    pub url: String,
}

/// `[time]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TimeConfig {
    /// IANA zone of the department; months of complaints are counted in it.
    pub timezone: String,
}

impl Default for TimeConfig {
    fn default() -> Self {
        Self {
            timezone: "Asia/Shanghai".into(),
        }
    }
}

/// `[rules]`: the settings of the regulation's checks.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RulesConfig {
    /// 第十五条: phrases that say nothing concrete (「解决了技术问题」).
    pub vague_phrases: Vec<String>,
    /// Words that carry no concrete object on their own (解决, 问题, …).
    pub generic_words: Vec<String>,
    /// What must be left of 沟通的具体问题 once phrases and generic words are taken out.
    pub min_concrete_chars: usize,
    /// 第十三条: only the project's 责任销售 may complain (false: any `sales`).
    pub complaint_requires_responsible_sales: bool,
    /// 第十四条 permanent levels count complaints of this many months (0 = all time).
    pub complaint_cumulative_window_months: u32,
    /// 第二十二条 "超过一周": net R&D days on a project's improvement requests before the
    /// sales are told the bonus is computed after R&D cost.
    pub rd_cost_threshold_days: f64,
    /// Hours in an R&D working day (研发工时: N天 → N × this).
    pub rd_hours_per_day: f64,
    /// 第十二条 「沟通完成后……立即发送汇报邮件」: a report sent more than this many working
    /// hours after its 沟通时间 is flagged `late`.
    pub late_report_after: u32,
}

impl Default for RulesConfig {
    fn default() -> Self {
        let words = |s: &str| s.split_whitespace().map(String::from).collect();
        Self {
            vague_phrases: words(
                "解决了技术问题 解决技术问题 技术问题已解决 问题已解决 已解决 已处理 处理了问题 解决了问题 沟通了问题 正常沟通 技术支持 远程支持 一般问题 相关问题 常规问题 技术交流 无 略 同上 见附件",
            ),
            generic_words: words(
                "解决 处理 沟通 问题 技术 支持 协助 客户 已经 已 了 的 和 进行 完成 相关 一些 若干 等",
            ),
            min_concrete_chars: 4,
            complaint_requires_responsible_sales: true,
            complaint_cumulative_window_months: 0,
            rd_cost_threshold_days: 5.0,
            rd_hours_per_day: 8.0,
            late_report_after: 9,
        }
    }
}

/// `[limits]`: how much the bot answers one person (workflow.md §5 "Floods anyone").
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// Replies to incoming mail (ack, rejection, hint) one address may get in any hour;
    /// past it they are recorded `suppressed`, not sent.
    pub replies_per_recipient_hour: u32,
    /// The same over any 24 hours.
    pub replies_per_recipient_day: u32,
    /// How often a mail whose handling fails is tried before it is moved to the dead-letter
    /// place and the admins are told (counted in the database, so a restart does not reset it).
    pub max_tries: u32,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            replies_per_recipient_hour: 20,
            replies_per_recipient_day: 100,
            max_tries: 3,
        }
    }
}

/// `[tasks]`: the 集成部 task flow's thresholds and time limits (tasks.md).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TasksConfig {
    /// 设计 (technical support) is for engineering projects of at least this many 万元 …
    pub design_min_project_wan: f64,
    /// … or equipment installation and commissioning of at least this many 万元 (seed ①).
    pub design_min_equipment_wan: f64,
    /// 施工 on a contract of this many 万元 or more must carry 合同号 (seed ②).
    pub construction_contract_wan: f64,
    /// Working days a task may stay `requested` before the engineering manager is reminded.
    pub dispatch_within_days: u32,
    /// Working days a task may stay `dispatched` without 开工 before its engineers are reminded.
    pub start_within_days: u32,
    /// Working days after a reminder until the engineering manager is told (escalation).
    pub escalate_after_days: u32,
}

impl Default for TasksConfig {
    fn default() -> Self {
        Self {
            design_min_project_wan: 5.0,
            design_min_equipment_wan: 10.0,
            construction_contract_wan: 5.0,
            dispatch_within_days: 1,
            start_within_days: 2,
            escalate_after_days: 1,
        }
    }
}

/// `[nudges]`: reminders sent before the regulation is broken (queries.md §3).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NudgesConfig {
    /// `report_nudge`: the 第一售前 is told a report is due (期望时间 come, a quiet project with
    /// something open, an open item's response time half gone).
    pub report_due: bool,
    /// Working days without a report on a project with an open item or an active fault order
    /// before its 第一售前 is nudged.
    pub report_quiet_working_days: u32,
    /// `approval_nudge`: whoever a fault order or a 集成部 task waits on is told, once half the
    /// step's time limit is gone, with the exact reply to send.
    pub approval_waiting: bool,
}

impl Default for NudgesConfig {
    fn default() -> Self {
        Self {
            report_due: true,
            report_quiet_working_days: 10,
            approval_waiting: true,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    mailbox: MailboxConfig,
    smtp: SmtpConfig,
    database: DatabaseConfig,
    #[serde(default)]
    time: TimeConfig,
    #[serde(default)]
    rules: RulesConfig,
    #[serde(default)]
    limits: LimitsConfig,
    #[serde(default)]
    synonyms: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    people: Vec<Person>,
    #[serde(default)]
    calendar: CalendarConfig,
    #[serde(default = "default_sla")]
    sla: SlaConfig,
    #[serde(default)]
    schedules: SchedulesConfig,
    #[serde(default)]
    tasks: TasksConfig,
    #[serde(default)]
    nudges: NudgesConfig,
    #[serde(default)]
    backup: Option<BackupConfig>,
    #[serde(default)]
    metrics: Option<MetricsConfig>,
}

/// `[metrics]`: the figures of `supportbot status` in Prometheus text format, served by `run`
/// (off when the section is absent).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct MetricsConfig {
    /// Address and port of the HTTP endpoint, e.g. `127.0.0.1:9187` (loopback unless you write
    /// another address).
    pub listen: std::net::SocketAddr,
}

/// `[backup]`: daily copies of the database kept by `run` (off when the section is absent).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct BackupConfig {
    /// Folder of the daily copies (`supportbot-YYYY-MM-DD.db`), created if missing.
    pub dir: PathBuf,
    /// Copies older than this many days are deleted (the newest is always kept).
    #[serde(default = "default_keep_days")]
    pub keep_days: u32,
}

fn default_keep_days() -> u32 {
    7
}

/// Where mail is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailboxUrl {
    /// A Maildir folder (the embedded default).
    Maildir(PathBuf),
    /// An IMAP server.
    Imap(String),
}

/// Where mail is sent to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SmtpUrl {
    /// A Maildir folder: each outgoing mail a file in `new/`.
    Maildir(PathBuf),
    /// An SMTP server.
    Smtp(String),
}

/// The validated config.
#[derive(Debug, Clone)]
pub struct Config {
    /// `[mailbox]` as written.
    pub mailbox: MailboxConfig,
    /// Parsed `mailbox.url`.
    pub mailbox_url: MailboxUrl,
    /// `[smtp]` as written.
    pub smtp: SmtpConfig,
    /// Parsed `smtp.url`.
    pub smtp_url: SmtpUrl,
    /// The SQLite file.
    pub database_path: PathBuf,
    /// The department's time zone.
    pub timezone: chrono_tz::Tz,
    /// Rule settings.
    pub rules: RulesConfig,
    /// Per-recipient reply caps (`[limits]`).
    pub limits: LimitsConfig,
    /// Field names and their synonyms.
    pub fields: FieldSchema,
    /// `[synonyms]` as written (for `check-config`).
    pub synonyms: BTreeMap<String, Vec<String>>,
    /// The staff directory.
    pub directory: Directory,
    /// The bot's From mailbox (`smtp.from`).
    pub bot: lettre::message::Mailbox,
    /// The bot's own address, lowercase.
    pub bot_address: String,
    /// The working calendar (`[calendar]` and its year files, in `timezone`).
    pub calendar: Calendar,
    /// SLAs by priority (`[sla]`).
    pub sla: Sla,
    /// Reminder thresholds and digest times (`[schedules]`).
    pub schedules: Schedules,
    /// Daily database copies kept by `run` (`[backup]`), if configured.
    pub backup: Option<BackupConfig>,
    /// The 集成部 task flow's thresholds and time limits (`[tasks]`).
    pub tasks: TasksConfig,
    /// Which nudges are sent, and after how long (`[nudges]`).
    pub nudges: NudgesConfig,
    /// The Prometheus endpoint of `run` (`[metrics]`), if configured.
    pub metrics: Option<MetricsConfig>,
}

impl Config {
    /// Reads and validates the config file.
    pub fn load(path: &Path) -> anyhow::Result<Config> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read config {}", path.display()))?;
        Self::from_toml(&text).with_context(|| format!("config {}", path.display()))
    }

    /// Validates a config given as TOML text.
    pub fn from_toml(text: &str) -> anyhow::Result<Config> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| check::toml_error(text, &e))?;
        let mailbox_url = match strip_scheme(&raw.mailbox.url, "maildir:") {
            Some(p) => MailboxUrl::Maildir(p),
            None if raw.mailbox.url.starts_with("imap://")
                || raw.mailbox.url.starts_with("imaps://") =>
            {
                MailboxUrl::Imap(raw.mailbox.url.clone())
            }
            None => bail!(
                "mailbox.url {:?}: expected maildir:PATH, imap:// or imaps://",
                raw.mailbox.url
            ),
        };
        let smtp_url = match strip_scheme(&raw.smtp.url, "maildir:") {
            Some(p) => SmtpUrl::Maildir(p),
            None if ["smtp://", "smtps://", "smtp+plain://"]
                .iter()
                .any(|s| raw.smtp.url.starts_with(s)) =>
            {
                SmtpUrl::Smtp(raw.smtp.url.clone())
            }
            None => bail!(
                "smtp.url {:?}: expected maildir:PATH, smtp://, smtps:// or smtp+plain://",
                raw.smtp.url
            ),
        };
        let database_path = strip_scheme(&raw.database.url, "sqlite:")
            .ok_or_else(|| anyhow!("database.url {:?}: expected sqlite:PATH", raw.database.url))?;
        let timezone: chrono_tz::Tz = raw.time.timezone.parse().map_err(|_| {
            anyhow!(
                "time.timezone {:?} is not an IANA time zone",
                raw.time.timezone
            )
        })?;
        let from: lettre::message::Mailbox = raw
            .smtp
            .from
            .parse()
            .map_err(|e| anyhow!("smtp.from {:?}: {e}", raw.smtp.from))?;
        for canonical in raw.synonyms.keys() {
            if !FIELD_NAMES.contains(&canonical.as_str()) {
                bail!(
                    "{}: {canonical:?} is not a field name (known: {})",
                    check::at(text, "synonyms", canonical),
                    FIELD_NAMES.join(" ")
                );
            }
        }
        let fields = FieldSchema::new(raw.synonyms.clone()).with_names(&FIELD_NAMES);
        for (section, command, file) in [
            (
                "mailbox",
                &raw.mailbox.token_command,
                &raw.mailbox.token_file,
            ),
            ("smtp", &raw.smtp.token_command, &raw.smtp.token_file),
        ] {
            if command.is_some() && file.is_some() {
                bail!("[{section}] token_command and token_file: give one, not both");
            }
            if command.as_deref().is_some_and(|c| c.trim().is_empty()) {
                bail!("[{section}] token_command is empty");
            }
        }
        let directory = Directory::new(raw.people).map_err(|e| anyhow!("[[people]]: {e}"))?;
        let calendar = Calendar::from_config(timezone, &raw.calendar)?;
        let sla = Sla::parse(&raw.sla)?;
        let schedules = Schedules::parse(&raw.schedules)?;
        for (key, wan) in [
            ("design_min_project_wan", raw.tasks.design_min_project_wan),
            (
                "design_min_equipment_wan",
                raw.tasks.design_min_equipment_wan,
            ),
            (
                "construction_contract_wan",
                raw.tasks.construction_contract_wan,
            ),
        ] {
            if !wan.is_finite() || wan < 0.0 {
                bail!("tasks.{key} = {wan}: expected an amount in 万元, 0 or more");
            }
        }
        if raw.nudges.report_quiet_working_days == 0 {
            bail!("nudges.report_quiet_working_days = 0: expected 1 working day or more");
        }
        let config = Config {
            mailbox: raw.mailbox,
            mailbox_url,
            smtp: raw.smtp,
            smtp_url,
            database_path,
            timezone,
            rules: raw.rules,
            limits: raw.limits,
            fields,
            synonyms: raw.synonyms,
            directory,
            bot_address: from.email.to_string().to_ascii_lowercase(),
            bot: from,
            calendar,
            sla,
            schedules,
            tasks: raw.tasks,
            nudges: raw.nudges,
            backup: raw.backup,
            metrics: raw.metrics,
        };
        check::meaning(&config, text)?;
        Ok(config)
    }

    /// Whether `address` is one the bot sends from.
    pub fn is_own_address(&self, address: &str) -> bool {
        let a = address.trim().to_ascii_lowercase();
        a == self.bot_address || a == self.mailbox.user.trim().to_ascii_lowercase()
    }

    /// The domain part of the bot's address, for the Message-IDs it makes.
    pub fn bot_domain(&self) -> &str {
        self.bot_address
            .rsplit_once('@')
            .map(|(_, d)| d)
            .unwrap_or("localhost")
    }
}

fn strip_scheme(url: &str, scheme: &str) -> Option<PathBuf> {
    url.strip_prefix(scheme)
        .filter(|p| !p.is_empty())
        .map(|p| PathBuf::from(p.strip_prefix("//").unwrap_or(p)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_rules_are_the_ones_config_default_toml_spells_out() {
        let text = include_str!("../config/default.toml");
        let shipped = Config::from_toml(text).expect("default config is valid");
        let built_in = RulesConfig::default();
        assert_eq!(shipped.rules.vague_phrases, built_in.vague_phrases);
        assert_eq!(shipped.rules.generic_words, built_in.generic_words);
        assert_eq!(
            shipped.rules.min_concrete_chars,
            built_in.min_concrete_chars
        );
        assert_eq!(
            shipped.rules.rd_cost_threshold_days,
            built_in.rd_cost_threshold_days
        );
    }

    #[test]
    fn a_negative_task_threshold_is_a_config_error() {
        let text = include_str!("../config/default.toml").replace(
            "construction_contract_wan = 5 ",
            "construction_contract_wan = -5 ",
        );
        let err = Config::from_toml(&text).expect_err("negative amount is refused");
        assert!(
            err.to_string().contains("construction_contract_wan"),
            "{err}"
        );
    }

    #[test]
    fn an_unknown_key_is_a_config_error() {
        let text = include_str!("../config/default.toml").replace("[rules]", "[rules]\nvauge = 1");
        let err = Config::from_toml(&text).expect_err("typo is refused");
        assert!(err.to_string().contains("vauge"), "{err}");
    }
}
