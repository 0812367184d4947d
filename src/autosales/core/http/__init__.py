"""What every API router shares: who is calling, the one error shape, pagination."""
