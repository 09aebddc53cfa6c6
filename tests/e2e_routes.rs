//! An item with two application routes, in the real desk in tmux: 城市建筑垃圾处置核准 asks for the
//! 施工许可证 on the new-building route and the 拆除 documents on the demolition route (a group:
//! exactly one of). With every listed material acceptable but the route unanswered, the desk
//! shows 待回答情形 and refuses to move on; once the route is answered its key material appears,
//! and only when that is checked is the application accepted.

mod e2e_support;

use e2e_support::{Tmux, have_tmux};

#[test]
fn an_item_with_two_routes_cannot_be_accepted_until_the_route_is_answered() {
    assert!(have_tmux(), "tmux is required: run tests/run.sh, which installs it");
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().to_str().unwrap();
    let args = ["--data-dir", data_dir, "desk", "--center", "HRBDL", "--window", "05"];
    let desk = Tmux::start(&args, 120, 40);
    desk.wait_for("接待下一位申请人");
    desk.type_text("A021");
    desk.keys(&["Enter"]);
    desk.wait_for("办理事项");
    desk.paste("建筑垃圾处置核准");
    desk.wait_for("城市建筑垃圾处置核准");
    desk.keys(&["Enter"]);
    let screen = desk.wait_for("待核验");
    assert!(screen.contains("[未答] 新建、改建、扩建"), "the route starts unanswered: {screen}");

    // `f` answers the agent question only: the route is a group and must be answered itself.
    desk.keys(&["f"]);
    let screen = desk.wait_for("[否]   委托代理人办理");
    assert!(screen.contains("[未答] 拆除工程"), "{screen}");
    // Every material on the list acceptable (the 营业执照 row is shared data).
    desk.keys(&["Down", "Down"]);
    desk.keys(&["1", "1", "1", "1", "1", "1"]);
    let screen = desk.wait_for("当前决定： 待回答情形");
    assert!(!screen.contains("建筑工程施工许可证"), "no route, no route material yet: {screen}");
    desk.keys(&["Enter"]);
    let screen = desk.wait_for("还有 2 个情形未回答");
    assert!(screen.contains("材料核验") && !screen.contains("申请人类型"), "{screen}");

    // The new-building route: its 施工许可证 is a key material and not yet checked.
    desk.keys(&["Space"]);
    let screen = desk.wait_for("[是]   新建、改建、扩建");
    assert!(screen.contains("[否]   拆除工程"), "the other route is answered 否 by the group: {screen}");
    assert!(screen.contains("建筑工程施工许可证"), "{screen}");
    let screen = desk.wait_for("当前决定： 一次性告知");
    assert!(screen.contains("需一次性告知 1 项材料"), "{screen}");
    desk.keys(&["Enter"]);
    desk.wait_for("还有材料未核验");
    desk.keys(&["1"]);
    desk.wait_for("当前决定： 受理");
    desk.keys(&["Enter"]);
    desk.wait_for("申请人类型");
    desk.keys(&["F10"]);
}
