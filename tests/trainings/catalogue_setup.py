"""Trainings in every state the public catalogue must tell apart, for the catalogue tests."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from tests.factories import (
    LabelFactory,
    OrganisationFactory,
    TrainingFactory,
    add_years,
    paris_now,
    paris_today,
)
from trainings.models import Training


def labelled(**fields) -> Training:
    """A training with a label in force today (started a month ago, for three years)."""
    training = TrainingFactory(**fields)
    LabelFactory(training=training)
    return training


def ended_yesterday(**fields) -> Training:
    """A label whose last day was yesterday; still `active` because the nightly
    labels_expire has not run yet."""
    training = TrainingFactory(**fields)
    yesterday = paris_today() - datetime.timedelta(days=1)
    LabelFactory(training=training, start_date=add_years(yesterday, -3), end_date=yesterday)
    return training


def withdrawn_today(**fields) -> Training:
    training = TrainingFactory(**fields)
    LabelFactory(training=training, withdrawn=True, withdrawn_at=paris_now())
    return training


def starting_tomorrow(**fields) -> Training:
    training = TrainingFactory(**fields)
    LabelFactory(training=training, start_date=paris_today() + datetime.timedelta(days=1))
    return training


@dataclass
class Network:
    """One organisation with a labelled training and one training in each unlabelled state,
    plus an organisation whose only training is no longer labelled."""

    shown: Training
    never_labelled: Training
    ended: Training
    withdrawn: Training
    future: Training
    unlabelled_organisation_training: Training

    @property
    def hidden(self) -> list[Training]:
        return [
            self.never_labelled,
            self.ended,
            self.withdrawn,
            self.future,
            self.unlabelled_organisation_training,
        ]


def network() -> Network:
    organisation = OrganisationFactory(name="Fabrique numérique de Montreuil", department_code="93")
    other = OrganisationFactory(name="Atelier sans label", department_code="69")
    return Network(
        shown=labelled(organisation=organisation, title="Développeur web et web mobile"),
        never_labelled=TrainingFactory(
            organisation=organisation, title="Formation jamais labellisée"
        ),
        ended=ended_yesterday(organisation=organisation, title="Formation au label échu hier"),
        withdrawn=withdrawn_today(organisation=organisation, title="Formation au label retiré"),
        future=starting_tomorrow(organisation=organisation, title="Formation labellisée demain"),
        unlabelled_organisation_training=ended_yesterday(
            organisation=other, title="Seule formation d'un organisme sans label"
        ),
    )
