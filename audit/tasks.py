from celery import shared_task


@shared_task(name="audit.tasks.write_checkpoint")
def write_checkpoint(*, send: bool = True) -> str:
    """Copy the audit chain's head, signed, outside the database (audit.checkpoints).

    Safe to run twice: each run writes one more true checkpoint under its own name,
    and a checkpoint only ever vouches for events already committed.
    """
    from audit.checkpoints import checkpoint_write

    return checkpoint_write(send=send)
