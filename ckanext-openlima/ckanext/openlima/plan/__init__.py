"""Commitments dashboard of the Open Government Action Plan (plugin ``openlima_plan``)."""
