"""The confirmation dialog every irreversible action asks first (通过, 退回, 批准, 驳回, 提醒全部, 放弃未保存的内容).

It names the action and its consequence; ``y`` or the confirm button answers yes, ``n``, esc or 取消 answer no.
The focus starts on 取消, so an enter typed by habit never confirms.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Label, Static

from duban.tui.text import cell_text

CONFIRM_CSS = """
ConfirmScreen { align: center middle; }
ConfirmScreen #dialog {
    width: 72; max-width: 95%; height: auto; max-height: 90%;
    border: thick $warning; background: $surface; padding: 1 2;
}
ConfirmScreen #question { text-style: bold; width: 100%; }
ConfirmScreen #consequence { width: 100%; padding-top: 1; }
ConfirmScreen #dialog-buttons { height: 3; align: right middle; margin-top: 1; }
ConfirmScreen #dialog-buttons Button { margin-left: 1; }
"""


class ConfirmScreen(ModalScreen[bool]):
    """A yes/no question: ``question`` names the action, ``consequence`` what follows from it."""

    DEFAULT_CSS = CONFIRM_CSS
    BINDINGS = [
        Binding("y", "answer(True)", "确定", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "取消", id="confirm.no"),
    ]

    def __init__(self, question: str, yes: str = "确定", consequence: str = "") -> None:
        super().__init__()
        self.question, self.yes, self.consequence = question, yes, consequence

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(Text(cell_text(self.question)), id="question")
            if self.consequence:
                yield Static(Text(cell_text(self.consequence)), id="consequence")
            with Horizontal(id="dialog-buttons"):
                yield Button(f"{self.yes}(y)", id="yes", variant="warning")
                yield Button("取消(n)", id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "yes")


#: the question esc (or 取消) asks on a form with unsaved input
DISCARD_QUESTION = "放弃未保存的内容？"


def ask_before_discarding(screen: Screen[Any], changed: bool) -> None:
    """Close ``screen`` (dismiss with None) — after asking, when its input has changed."""
    if not changed:
        screen.dismiss(None)
        return

    def answered(yes: bool | None) -> None:
        if yes:
            screen.dismiss(None)

    screen.app.push_screen(ConfirmScreen(DISCARD_QUESTION, "放弃", "已填写的内容不会保存。"), answered)
