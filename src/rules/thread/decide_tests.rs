//! Commands on a thread the bot runs, through [`decide`].

use crate::rules::testkit::*;
use crate::rules::*;

#[test]
fn solved_on_the_ack_of_a_success_report_closes_the_engineers_one_open_item() {
    let facts = Facts {
        open_items: vec![open_item(1, 5, "张三"), open_item(2, 6, "李四")],
        ..on_report_thread()
    };
    let d = run(
        &reply(
            ZHANGSAN,
            "Re: [SB-7] 已记录：客户沟通-星河项目-张三",
            "已解决",
        ),
        &facts,
    );
    assert_eq!(d.outcome, Outcome::Accepted);
    assert_eq!(closed_items(&d), vec![1]);
}
