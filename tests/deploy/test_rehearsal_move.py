"""rehearse-move compares pages across hosts: what it makes equal must be exactly the media
URLs each storage writes, the CSRF tokens and the nonces, and nothing else."""

from pathlib import Path

from deploy.rehearsal.move import Stack, line_differences, normalised, page_media_urls
from devtools.local_servers import SeaweedS3


def disk() -> Stack:
    return Stack("vps", {}, "redis", media_root=Path("/nowhere/media"))


def bucket(tmp_path: Path) -> Stack:
    return Stack("fleet", {}, "redis", store=SeaweedS3(tmp_path))  # made, never started


def signed(store: SeaweedS3, name: str, amp: str = "&amp;") -> str:
    return (
        f"{store.endpoint}/filamenta-media/site/{name}?X-Amz-Algorithm=AWS4-HMAC-SHA256{amp}"
        f"X-Amz-Credential=key%2F20261202%2Fus-east-1%2Fs3%2Faws4_request{amp}X-Amz-Date=20261202T"
        f"070000Z{amp}X-Amz-Expires=3600{amp}X-Amz-SignedHeaders=host{amp}X-Amz-Signature=abc123"
    )


def test_each_storage_s_urls_become_the_same_token(tmp_path):
    fleet = bucket(tmp_path)
    on_disk = (
        '<img src="/media/images/k1/a.jpg" srcset="/media/renditions/k1/480.webp 480w, '
        '/media/renditions/k1/960.webp 960w"><meta property="og:image" '
        'content="https://filamenta.test/media/renditions/k1/1200.jpeg">'
    )
    in_bucket = (
        f'<img src="{signed(fleet.store, "images/k1/a.jpg")}" srcset="'
        f"{signed(fleet.store, 'renditions/k1/480.webp')} 480w, "
        f'{signed(fleet.store, "renditions/k1/960.webp")} 960w"><meta property="og:image" '
        f'content="{signed(fleet.store, "renditions/k1/1200.jpeg")}">'
    )
    assert normalised(on_disk, disk()) == normalised(in_bucket, fleet)
    assert "MEDIA:renditions/k1/960.webp 960w" in normalised(in_bucket, fleet)


def test_a_disk_url_left_on_the_fleet_is_a_difference(tmp_path):
    """An article body still naming /media/ after a move to a bucket is a broken image."""
    body = '<p><img src="/media/images/k1/a.jpg" alt="Boxes"></p>'
    assert normalised(body, disk()) != normalised(body, bucket(tmp_path))
    assert page_media_urls(body, bucket(tmp_path)) == {"images/k1/a.jpg": "/media/images/k1/a.jpg"}


def test_nothing_but_the_signature_query_is_swallowed(tmp_path):
    fleet = bucket(tmp_path)
    other = f"{fleet.store.endpoint}/filamenta-media/site/images/k1/a.jpg?response-content-type=x"
    assert (
        normalised(f'<a href="{other}">', fleet)
        == '<a href="MEDIA:images/k1/a.jpg?response-content-type=x">'
    )
    # Another bucket, host or path is left as it is.
    elsewhere = "http://127.0.0.1:1/other-bucket/site/images/k1/a.jpg"
    assert normalised(f'<img src="{elsewhere}">', fleet) == f'<img src="{elsewhere}">'
    assert normalised('<img src="https://cdn.example/media/a.jpg">', disk()) == (
        '<img src="https://cdn.example/media/a.jpg">'
    )


def test_tokens_and_nonces_are_made_equal_and_text_is_not():
    one = '<input type="hidden" name="csrfmiddlewaretoken" value="aaa"><style nonce="n1">'
    two = '<input type="hidden" name="csrfmiddlewaretoken" value="bbb"><style nonce="n2">'
    assert normalised(one, disk()) == normalised(two, disk())
    assert normalised("<p>Published 06:00:01.960313</p>", disk()) != normalised(
        "<p>Published 06:00:01.960000</p>", disk()
    )


def test_a_difference_is_shown_where_it_is():
    want = "<html>\n" + "x" * 500 + "<time>06:00:01.960313</time>\n</html>"
    have = "<html>\n" + "x" * 500 + "<time>06:00:01.960000</time>\n</html>"
    shown = line_differences(want, have)
    assert shown.startswith("source, line 2: ")
    assert "960313" in shown
    assert "960000" in shown
    assert len(shown) < 500
