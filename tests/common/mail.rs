//! Mails written in tests: 立项, 客户沟通 reports and 故障处理工作单 with the fields the regulation
//! asks for.

#![allow(dead_code)]

/// A UTF-8 mail with `date` (RFC 2822) and a Message-ID made from `id`.
pub fn mail(from: &str, subject: &str, date: &str, id: &str, body: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: supportbot@example.com\r\nSubject: {subject}\r\nDate: {date}\r\n\
         Message-ID: <{id}@test.example.com>\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

/// 立项 of 星河 by 孙丽: 第一售前 张三, 第二售前 李四.
pub fn initiation(date: &str) -> Vec<u8> {
    mail(
        "孙丽 <sunli@example.com>",
        "立项-星河项目",
        date,
        "init-xinghe",
        "项目名称: 星河项目\r\n责任销售: 孙丽\r\n第一售前: 张三\r\n第二售前: 李四\r\n\
         支持类型: 产品测试\r\n支持内容: 星河银行数据库审计系统 POC 测试",
    )
}

/// A report by 张三 on `project`: 问题遗留 with `priority` when given, else 成功.
pub fn report(project: &str, date: &str, id: &str, priority: Option<&str>) -> Vec<u8> {
    let mut body = format!(
        "沟通结果: {}\r\n项目名称: {project}项目\r\n沟通人: 客户王工\r\n沟通方式: 电话\r\n\
         沟通的具体问题: 确认客户防火墙放行 3389 端口并配置审计策略\r\n责任销售: 孙丽\r\n",
        if priority.is_some() {
            "问题遗留"
        } else {
            "成功"
        }
    );
    if let Some(p) = priority {
        body += &format!("遗留的问题描述: 客户要求导出审计日志为 Excel\r\n优先级: {p}\r\n");
    }
    mail(
        "张三 <zhangsan@example.com>",
        &format!("客户沟通-{project}项目-张三"),
        date,
        id,
        &body,
    )
}

/// An urgent 故障处理工作单 on 星河 by 张三 (Message-ID `<fault-xinghe@test.example.com>`).
pub fn fault_order(date: &str) -> Vec<u8> {
    mail(
        "张三 <zhangsan@example.com>",
        "故障处理-星河项目",
        date,
        "fault-xinghe",
        "环境: 审计系统 V3.2，CentOS 7\r\n操作过程: 导入策略后重启服务\r\n\
         现象: 服务启动后立即退出\r\n日志: core dumped at policy_load\r\n尝试次数: 3\r\n\
         优先级: 紧急",
    )
}

/// A 成功 report by 张三 on 星河 on November `day` whose 沟通的具体问题 is `content`.
pub fn report_on_day(day: u32, id: &str, content: &str) -> Vec<u8> {
    mail(
        "张三 <zhangsan@example.com>",
        "客户沟通-星河项目-张三",
        &format!("Mon, {day} Nov 2026 10:00:00 +0800"),
        id,
        &format!(
            "沟通结果: 成功\r\n项目名称: 星河项目\r\n沟通人: 客户王工\r\n沟通方式: 电话\r\n\
             沟通的具体问题: {content}\r\n责任销售: 孙丽\r\n"
        ),
    )
}
