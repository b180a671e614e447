from app.models import RenderStatus


def test_factories_and_cleanup(client, render_job_factory, payment_factory):
    job = render_job_factory(status=RenderStatus.AWAITING_PAYMENT)
    payment = payment_factory(job)
    assert payment.render_job_id == job.id
    assert client.get("/readyz").status_code == 200
