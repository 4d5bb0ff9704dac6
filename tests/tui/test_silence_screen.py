"""Silences on the 通知 screen (issue 19 item 5): a silence in force is listed with its target's name, author,
reason and expiry; a removed one is not."""

from __future__ import annotations

import datetime as dt

from duban.domain.vocabulary import SilenceScope
from duban.services.names import name_book
from duban.services.silences import add_silence, remove_silence
from duban.tui.screens.notifications import NotificationsScreen
from tests.tui.helpers import screen_text, settle, shows, sync
from tests.tui.world import COORD, YUNNAN

SIZE = (150, 45)


@sync
async def test_the_notifications_screen_shows_silences_in_force(make_app, sessions) -> None:
    until = dt.datetime(2099, 1, 1, tzinfo=dt.UTC)
    with sessions() as s:
        kept = add_silence(
            s,
            actor=COORD,
            scope=SilenceScope.DEPARTMENT,
            target=f"minzheng@{YUNNAN}",
            until=until,
            reason="机构改革过渡期",
        )
        ended = add_silence(
            s,
            actor=COORD,
            scope=SilenceScope.DEPARTMENT,
            target=f"fulian@{YUNNAN}",
            until=until,
            reason="已解除的静默",
        )
        remove_silence(s, actor=COORD, silence_id=ended.id)
        name = name_book(s, jurisdiction=YUNNAN).agency("minzheng", YUNNAN)
        s.commit()
    app = make_app(COORD, start="policies")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("7")
        await settle(pilot, rounds=6)
        assert isinstance(app.screen, NotificationsScreen)
        assert await shows(pilot, f"部门 {name}")
        text = screen_text(app)
        assert f"静默 #{kept.id}" in text and "机构改革过渡期" in text and COORD.name in text
        assert "已解除的静默" not in text and "minzheng" not in text
