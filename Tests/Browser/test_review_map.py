"""The reviewer's chip map: a chip at the scene's edge is a window smaller than its image (the
tiling engine pads the PNG to the chip size), and chip pixels are the image's pixels, so the
image must cover its own natural size, not the window's, or the shapes land beside the imagery."""

from conftest import sign_in, wait_for


def test_an_edge_chips_image_covers_its_natural_size(deployment, browser):
    sign_in(browser, deployment, "rita", "review.html?task=town")
    wait_for(browser, lambda driver: driver.execute_script("return window.L !== undefined"))
    bounds = browser.execute_async_script("""
        const done = arguments[arguments.length - 1];
        const { ChipMap } = await import('/app/js/review-map.js');
        const container = document.createElement('div');
        container.style.cssText = 'position:absolute;left:0;top:0;width:600px;height:600px';
        document.body.append(container);
        const canvas = document.createElement('canvas');
        canvas.width = 384;
        canvas.height = 384;
        canvas.getContext('2d').fillRect(0, 0, 384, 192);
        const map = new ChipMap(container);
        // The window the store records for an edge chip: 384 wide, 256 high.
        map.show({ width: 384, height: 256, shapes: [], objects: [], annotators: [] }, canvas.toDataURL(), null);
        const image = map.image;
        const read = () => {
          const b = image.getBounds();
          return [b.getSouth(), b.getWest(), b.getNorth(), b.getEast()];
        };
        if (image.getElement().complete && image.getElement().naturalWidth) setTimeout(() => done(read()), 50);
        else image.once('load', () => setTimeout(() => done(read()), 0));
    """)
    assert bounds == [-384, 0, 0, 384]
