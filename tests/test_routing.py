"""Where a service's posts go (bot/routing.py): its own channel, the team's, and the fallback."""

from __future__ import annotations

from bot.routing import Broken, Via, parse_broken, routing

TEAM, OWN, OTHER = 10, 20, 30


def test_a_service_without_its_own_channel_uses_the_teams() -> None:
    route = routing("luma", team_channel=TEAM, own_channel=None, broken=None)
    assert (route.channel_id, route.via, route.tries_own_first) == (TEAM, Via.TEAM, False)
    assert routing(None, team_channel=TEAM, own_channel=OWN, broken=None).channel_id == TEAM
    assert routing("luma", team_channel=None, own_channel=None, broken=None).via is Via.NONE


def test_its_own_channel_first_and_the_teams_once_it_was_deleted() -> None:
    own = routing("luma", team_channel=TEAM, own_channel=OWN, broken=None)
    assert (own.channel_id, own.via, own.tries_own_first) == (OWN, Via.SERVICE, True)
    forbidden = routing("luma", team_channel=TEAM, own_channel=OWN, broken=Broken(OWN, "forbidden"))
    assert forbidden.channel_id == OWN and forbidden.tries_own_first and forbidden.broken is not None
    deleted = routing("luma", team_channel=TEAM, own_channel=OWN, broken=Broken(OWN, "deleted"))
    assert (deleted.channel_id, deleted.via, deleted.own_channel_id) == (TEAM, Via.FALLBACK, OWN)
    # A mark about a channel the service no longer uses means nothing.
    moved = routing("luma", team_channel=TEAM, own_channel=OTHER, broken=Broken(OWN, "deleted"))
    assert (moved.channel_id, moved.broken) == (OTHER, None)


def test_the_stored_mark_reads_back_and_nonsense_is_none() -> None:
    assert parse_broken(Broken(OWN, "deleted").text()) == Broken(OWN, "deleted")
    for junk in (None, "", "x:deleted", "20:gone", "20"):
        assert parse_broken(junk) is None
