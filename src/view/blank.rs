//! The blank-frame check: a screenshot of the app must show something, not one flat colour.

use bevy::prelude::*;

/// Checks a captured frame is not blank: returns how many distinct colours it has (at least
/// 16 are required).
pub fn check_not_blank(image: &Image) -> Result<usize, String> {
    let data = image.data.as_ref().ok_or("the image has no data")?;
    let mut colours = std::collections::BTreeSet::new();
    for px in data.chunks_exact(4).step_by(7) {
        colours.insert((px[0] >> 3, px[1] >> 3, px[2] >> 3));
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

    use super::check_not_blank;

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
}
