//! The blank-frame check: a screenshot of the app must show something, not one flat colour.

use bevy::prelude::*;

/// Checks a captured frame is not blank: returns how many distinct colours it has (at least
/// 16 are required).
pub fn check_not_blank(image: &Image) -> Result<usize, String> {
    check_area_not_blank(image, URect::new(0, 0, image.width(), image.height()))
}

/// Checks the part of a captured frame inside `area` (pixels; the canvas between the panels,
/// which alone could pass the whole-frame check) is not blank.
pub fn check_area_not_blank(image: &Image, area: URect) -> Result<usize, String> {
    let data = image.data.as_ref().ok_or("the image has no data")?;
    let (width, height) = (image.width(), image.height());
    let area = area.intersect(URect::new(0, 0, width, height));
    if area.is_empty() {
        return Err(format!(
            "the area {area:?} is outside the {width}x{height} frame"
        ));
    }
    let mut colours = std::collections::BTreeSet::new();
    for y in area.min.y..area.max.y {
        for x in (area.min.x..area.max.x).step_by(7) {
            let i = 4 * (y * width + x) as usize;
            let Some(px) = data.get(i..i + 4) else {
                continue;
            };
            colours.insert((px[0] >> 3, px[1] >> 3, px[2] >> 3));
        }
        if colours.len() > 4096 {
            break;
        }
    }
    if colours.len() < 16 {
        Err(format!("only {} distinct colours", colours.len()))
    } else {
        Ok(colours.len())
    }
}

#[cfg(test)]
mod tests {
    use bevy::asset::RenderAssetUsages;
    use bevy::prelude::*;
    use bevy::render::render_resource::{Extent3d, TextureDimension, TextureFormat};

    use super::{check_area_not_blank, check_not_blank};

    fn image(pixel: impl Fn(u32) -> [u8; 4]) -> Image {
        let data: Vec<u8> = (0..64 * 64).flat_map(pixel).collect();
        Image::new(
            Extent3d {
                width: 64,
                height: 64,
                depth_or_array_layers: 1,
            },
            TextureDimension::D2,
            data,
            TextureFormat::Rgba8UnormSrgb,
            RenderAssetUsages::default(),
        )
    }

    #[test]
    fn a_blank_frame_is_caught_and_a_drawn_one_passes() {
        assert!(check_not_blank(&image(|_| [18, 20, 26, 255])).is_err());
        let drawn = image(|i| {
            [
                (i * 7 % 256) as u8,
                (i * 13 % 256) as u8,
                (i * 29 % 256) as u8,
                255,
            ]
        });
        assert!(check_not_blank(&drawn).is_ok());
    }

    #[test]
    fn drawn_panels_do_not_pass_for_a_blank_canvas() {
        // Busy colours in the left quarter (a panel), one flat colour elsewhere (the canvas).
        let frame = image(|i| {
            if i % 64 < 16 {
                [
                    (i * 37 % 251) as u8,
                    (i * 91 % 241) as u8,
                    (i * 53 % 239) as u8,
                    255,
                ]
            } else {
                [18, 20, 26, 255]
            }
        });
        let whole = check_not_blank(&frame);
        assert!(whole.is_ok(), "the whole frame has colours: {whole:?}");
        let canvas = URect::new(16, 0, 64, 64);
        assert!(
            check_area_not_blank(&frame, canvas).is_err(),
            "the canvas alone is blank"
        );
        assert!(check_area_not_blank(&frame, URect::new(0, 0, 16, 64)).is_ok());
    }
}
