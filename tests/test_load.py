"""Several users at once on one server: no errors, and one user's upload never shows for another.

A short version of bench/bench_load.py (8 users, 50 uploads, memory): 3 concurrent sessions in one
Chromium, each moving K and drawing; the first uploads a tiny dataset first. Meanwhile a hostile
session drops junk and files whose headers lie, then a good upload it forgets, until they are done.
"""

import pytest
from load_support import (
    UPLOAD_IMAGES,
    UPLOAD_TITLE,
    CacheWrites,
    percentile,
    repeat_uploads,
    run_users,
    small_npz,
)
from load_support import hostile_uploads as hostile_files

HOSTILE = hostile_files(junk_mb=1)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def load_run(chromium, app_server):  # `chromium` only to skip where Debian's Chromium is missing
    url, workdir = app_server
    (workdir / "results").mkdir(parents=True, exist_ok=True)
    with CacheWrites(workdir / "results") as fits:
        reports, attacker = run_users(url, n_users=3, rounds=2, upload_content=small_npz(), hostile=HOSTILE)
    return reports, attacker, fits.writes


@pytest.fixture(scope="module")
def reports(load_run):
    return load_run[0]


def test_the_hostile_user_is_refused_with_a_message_each_time(load_run):
    attacker = load_run[1]
    assert not attacker.error and attacker.exceptions == 0, attacker
    assert attacker.refused == {hostile.what: attacker.good_uploads_forgotten for hostile in HOSTILE}
    assert attacker.good_uploads_forgotten >= 1


def test_no_user_meets_an_error(reports):
    for report in reports:
        assert not report.error, (report.name, report.error)
        assert report.exceptions == 0, report.name
        assert len(report.predictions) == 2 and all(p.isdigit() for p in report.predictions)


def test_the_upload_shows_only_for_its_user(reports):
    uploader, *others = reports
    assert uploader.uploaded
    assert any(
        option.startswith(f"{UPLOAD_TITLE} ({UPLOAD_IMAGES} images") for option in uploader.picker_options
    )
    for report in others:
        assert report.picker_options, report.name
        assert not any(UPLOAD_TITLE in option for option in report.picker_options), report.name


def test_sessions_share_each_fit(load_run):
    # Users 1 and 2 visit the sample at two K values (the page's K, then one more); user0 is on its
    # upload, whose fits never go to disk. Shared fits: at most one save per K, whoever asked first.
    assert load_run[2] <= 2


def test_reruns_finish(reports):
    times = [t for report in reports for t in report.rerun_seconds]
    assert len(times) == 3 * 4
    assert percentile(times, 95) < 60


def test_uploads_one_after_another(chromium, app_url):
    done = []
    repeat_uploads(app_url, [(small_npz(100 + i, seed=i), 100 + i) for i in range(3)], done.append)
    assert done == [1, 2, 3]
