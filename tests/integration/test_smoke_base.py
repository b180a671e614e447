from sqlalchemy import func, select

from app.extensions import db, get_redis
from app.models import Payment, RenderJob, RenderStatus, User
from tests.conftest import reset_state


def test_the_cleanup_between_tests_leaves_no_row_and_no_redis_key(app, client, render_job_factory,
                                                                   payment_factory):
    job = render_job_factory(status=RenderStatus.AWAITING_PAYMENT)
    payment_factory(job)
    get_redis().set("waveframe-test:left-behind", "1")
    assert client.get("/readyz").status_code == 200
    for model in (User, RenderJob, Payment):
        assert db.session.scalar(select(func.count()).select_from(model)) == 1
    db.session.remove()  # end this test's transaction, as the fixture does

    reset_state(app)

    with app.app_context():
        for model in (User, RenderJob, Payment):
            assert db.session.scalar(select(func.count()).select_from(model)) == 0
        assert get_redis().dbsize() == 0
