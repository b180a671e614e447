"""Reading ``/metrics`` the way Prometheus does: the exposition text parsed with
``prometheus_client.parser``, samples looked up by name and labels."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client.parser import text_string_to_metric_families


@dataclass
class Scrape:
    families: dict  # name -> Metric
    text: str

    def value(self, sample_name: str, **labels: str) -> float:
        """The sample with exactly these labels (an ``le`` included for a bucket); 0 when absent."""
        for family in self.families.values():
            for sample in family.samples:
                if sample.name == sample_name and sample.labels == labels:
                    return sample.value
        return 0.0

    def total(self, sample_name: str, **labels: str) -> float:
        """The sum over every sample of that name whose labels include these."""
        return sum(sample.value for family in self.families.values() for sample in family.samples
                   if sample.name == sample_name
                   and all(sample.labels.get(k) == v for k, v in labels.items()))


def scrape(client, headers: dict | None = None) -> Scrape:
    response = client.get("/metrics", headers=headers or {})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    text = response.get_data(as_text=True)
    return Scrape({f.name: f for f in text_string_to_metric_families(text)}, text)
