"""The keys a user sees: grouped help (``?``), Chinese names for Textual's own bindings, and which actions
each role may take (a key for an action the user may not take is neither shown nor run)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label

from duban.tui.text import cell_text

if TYPE_CHECKING:
    from textual.app import App

#: actions each role may not take (the screen's ``check_action`` hides their keys)
FORBIDDEN: dict[str, frozenset[str]] = {
    "department": frozenset({"review", "decide", "remind"}),
    "viewer": frozenset({"ack", "report", "extend", "review", "decide", "remind"}),
}

#: Textual's own bindings (DataTable, Input, the app) by action → what the help shows
BUILTIN: dict[str, str] = {
    "cursor_up": "上一行",
    "cursor_down": "下一行",
    "cursor_left": "左一列",
    "cursor_right": "右一列",
    "page_up": "上一屏",
    "page_down": "下一屏",
    "page_left": "左一屏",
    "page_right": "右一屏",
    "scroll_top": "第一行",
    "scroll_bottom": "最后一行",
    "scroll_home": "第一列",
    "scroll_end": "最后一列",
    "select_cursor": "打开所选",
    "command_palette": "命令面板：查找，或按「文号 编号」跳到任务",
    "quit": "退出",
    "focus_next": "下一个控件",
    "focus_previous": "上一个控件",
    "copy_text": "复制所选文字",
}

#: actions whose help text is the one above even though the binding has a (short, footer) Chinese name
HELP_TEXT = frozenset({"command_palette"})

#: keys by their Chinese names (Textual shows arrows and ⏎, which are ambiguous-width or cryptic)
KEY_NAMES = {
    "up": "上箭头",
    "down": "下箭头",
    "left": "左箭头",
    "right": "右箭头",
    "enter": "回车",
    "escape": "esc",
    "pageup": "PgUp",
    "pagedown": "PgDn",
    "ctrl+pageup": "ctrl+PgUp",
    "ctrl+pagedown": "ctrl+PgDn",
    "home": "Home",
    "end": "End",
    "ctrl+home": "ctrl+Home",
    "ctrl+end": "ctrl+End",
    "tab": "Tab",
    "shift+tab": "shift+Tab",
    "question_mark": "?",
    "slash": "/",
    "right_square_bracket": "]",
    "left_square_bracket": "[",
}

#: group of a binding id prefix (nav.tasks → 导航); the order is the help's order
GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("导航", ("nav", "detail", "app.keys")),
    ("列表", ("table", "tasks", "assessment", "notify.failed_only", "builtin")),
    ("操作", ("task", "inbox", "notify.remind", "form")),
    ("通用", ("app",)),
)

_ASCII_WORD = re.compile(r"[A-Za-z]{3,}")


def allowed(role: str, action: str) -> bool:
    """Whether a user of ``role`` may take ``action`` (a binding's action name, without arguments)."""
    return action.split("(")[0] not in FORBIDDEN.get(role, frozenset())


def describe(binding: Binding) -> str | None:
    """A binding's Chinese description, or None when it has none (an English one from a library is hidden)."""
    action = binding.action.split("(")[0].removeprefix("app.").removeprefix("screen.")
    if action in HELP_TEXT:
        return BUILTIN[action]
    if action in BUILTIN and (not binding.description or _ASCII_WORD.search(binding.description)):
        return BUILTIN[action]
    if not binding.description or _ASCII_WORD.search(binding.description):
        return None
    return binding.description


def group_of(ident: str) -> str:
    for name, prefixes in GROUPS:
        if any(ident == p or ident.startswith(p + ".") for p in prefixes):
            return name
    return "通用"


def key_rows(app: App[None]) -> list[tuple[str, str, str, str]]:
    """(group, key, what it does, id) for every key the current screen answers, grouped 导航/列表/操作/通用;
    keys of actions the user may not take are left out."""
    rows: list[list[str]] = []
    screen = app.screen
    for key, active in screen.active_bindings.items():
        b = active.binding
        desc = describe(b)
        if desc is None:
            continue
        shown_key = KEY_NAMES.get(key, key)
        same = next((r for r in rows if r[2] == desc), None)
        if same is not None:  # one line per action: "下箭头 / j  下一行"
            if shown_key not in same[1].split(" / "):
                same[1] += f" / {shown_key}"
            if same[3] == "-" and b.id:
                same[3] = b.id
            continue
        ident = b.id or f"builtin.{b.action}"
        rows.append([group_of(ident), shown_key, desc, b.id or "-"])
    order = [name for name, _ in GROUPS]
    rows.sort(key=lambda r: order.index(r[0]) if r[0] in order else len(order))
    return [(r[0], r[1], r[2], r[3]) for r in rows]


class KeysScreen(ModalScreen[None]):
    """``?``: the keys of the current screen by group, with the ids to remap them (keymap)."""

    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "关闭", id="keys.close")]

    def __init__(self, rows: list[tuple[str, str, str, str]]) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        with Vertical(id="keys"):
            yield Label("按键（编号可在配置中重新映射）", id="keys-title")
            table: DataTable[str] = DataTable(id="keys-table", cursor_type="row")
            table.add_columns("类别", "按键", "作用", "编号")
            last = None
            for group, key, desc, ident in self.rows:
                table.add_row(group if group != last else "", cell_text(key), cell_text(desc), ident)
                last = group
            yield table
