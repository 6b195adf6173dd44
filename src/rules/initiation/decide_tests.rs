//! 立项 through [`decide`]: 第九条.

use crate::rules::testkit::*;
use crate::rules::*;

// --- 第九条: 立项 -----------------------------------------------------------------------------

#[test]
fn initiation_by_a_sales_creates_the_project_and_copies_both_presales() {
    // 第九条: 通过《技术支持立项单》事先进行项目立项、确立责任售前
    let d = run(
        &mail(SUNLI, "立项-星河项目", &body(&initiation_fields())),
        &Facts::default(),
    );
    assert_eq!(d.kind, MailKind::Workflow(SubjectKind::Initiation));
    assert_eq!(d.outcome, Outcome::Accepted, "{d:?}");
    assert_eq!(d.project, Some(key("星河")));
    assert_eq!(
        d.effects,
        vec![Effect::InitiateProject(ProjectSheet {
            key: key("星河"),
            name: s("星河项目"),
            responsible_sales: s("孙丽"),
            first_presales: s("张三"),
            second_presales: Some(s("李四")),
            support_type: s("产品实施"),
            support_content: s("部署星河平台并完成双机热备配置"),
            extras: Vec::new(),
        })]
    );
    assert_eq!(kinds(&d), vec![OutgoingKind::Ack]);
    assert_eq!(d.outgoing[0].to, strings(&[SUNLI]));
    assert_eq!(d.outgoing[0].cc, strings(&[ZHANGSAN, LISI]));
}

#[test]
fn initiation_by_a_presales_is_not_authorized() {
    // 第九条: 立项 is the sales' form
    let d = run(
        &mail(ZHANGSAN, "立项-星河项目", &body(&initiation_fields())),
        &Facts::default(),
    );
    assert_rejected(&d, &["not_authorized"]);
    assert!(d.outgoing[0].body.contains("第九条"));
}

#[test]
fn initiation_naming_an_unknown_first_presales_is_rejected() {
    // 第九条: 确立责任售前
    let d = run(
        &mail(SUNLI, "立项-星河项目", &initiation_with("第一售前", "刘备")),
        &Facts::default(),
    );
    assert_rejected(&d, &["invalid_value:第一售前"]);
}

#[test]
fn initiation_with_an_unknown_support_type_is_rejected() {
    // 第九条; workflow.md §2: 售前交流/客户培训/技术文档/产品测试/产品实施/售后服务
    let d = run(
        &mail(
            SUNLI,
            "立项-星河项目",
            &initiation_with("支持类型", "喝茶聊天"),
        ),
        &Facts::default(),
    );
    assert_rejected(&d, &["invalid_value:支持类型"]);
}
