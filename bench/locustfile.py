"""The audience of the cloud articles, as Locust users: each user thinks for a moment, votes
once with its own voter id, and leaves. Run by bench/locust.sh, which compares Locust's
success count with votedesk's final tally."""

import itertools
import os
import random

from locust import FastHttpUser, between, task
from locust.exception import StopUser

_voter_ids = itertools.count()
OPTIONS = "ABCD"


class Viewer(FastHttpUser):
    # The think time before the vote (the user watches the show), then one vote.
    wait_time = between(0.0, 0.0)

    def on_start(self):
        self.voter = f"locust{os.getpid()}-{next(_voter_ids)}"
        self.think = random.uniform(0.2, 2.0)

    @task
    def vote(self):
        import gevent

        gevent.sleep(self.think)
        with self.client.post(
            "/v1/votes",
            json={"voter": self.voter, "option": random.choice(OPTIONS)},
            catch_response=True,
            name="POST /v1/votes",
        ) as response:
            if response.status_code == 202:
                response.success()
            else:
                response.failure(f"HTTP {response.status_code}")
        raise StopUser()
