"""Training the online-practice registers require (holders of online accounts)."""

from common.registry import TRAINING_REQUIREMENTS
from practice.reminders import online_presence_training

TRAINING_REQUIREMENTS.register(online_presence_training)
