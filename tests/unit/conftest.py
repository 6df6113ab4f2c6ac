from tests.unit.fakes import fake_model

__all__ = ["fake_model"]
