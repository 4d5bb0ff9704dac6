"""Pilot helpers: wait for the thread workers, read what the screen shows."""

from __future__ import annotations

from textual.app import App
from textual.pilot import Pilot
from textual.widgets import DataTable


async def settle(pilot: Pilot, rounds: int = 4) -> None:
    """Let workers finish and their messages be handled (workers post results back to the loop)."""
    for _ in range(rounds):
        await pilot.pause(0.02)
        await pilot.app.workers.wait_for_complete()
        for screen in pilot.app.screen_stack:
            await screen.workers.wait_for_complete()
    await pilot.pause(0.05)


def _shown(app: App, text: str) -> bool:
    if any(text in str(n.message) for n in app._notifications):  # toasts (they wrap on screen)
        return True
    errors = app.screen.query("#error")
    if errors and text in str(errors.first().content):  # a form's error line
        return True
    return text in screen_text(app)


async def shows(pilot: Pilot, text: str, timeout: float = 2.0) -> bool:
    """Whether ``text`` is shown (a toast, a form's error, the screen) within ``timeout`` seconds."""
    waited = 0.0
    while waited < timeout:
        if _shown(pilot.app, text):
            return True
        await pilot.pause(0.05)
        waited += 0.05
    return _shown(pilot.app, text)


def screen_text(app: App) -> str:
    """The text of the current screen, as the terminal shows it."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def rows(table: DataTable) -> list[list[str]]:
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


def sync(test):  # noqa: ANN001, ANN201 - a decorator for async test functions
    """Run an async test with asyncio.run (no pytest-asyncio needed); fixtures still resolve by name."""
    import asyncio
    import functools

    @functools.wraps(test)
    def wrapper(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        asyncio.run(test(*args, **kwargs))

    return wrapper


async def open_task_and_press(pilot: Pilot, app, task_id: int, key: str) -> None:
    """Open a task's detail screen, then press ``key`` there (the start of every action test)."""
    await settle(pilot)
    app.open_task(task_id)
    await settle(pilot)
    await pilot.press(key)
    await settle(pilot)
