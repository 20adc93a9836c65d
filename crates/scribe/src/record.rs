//! Microphone recording with cpal: the default input device, mixed to mono
//! and resampled to 16 kHz, handed over in blocks as it arrives.

use crate::audio::SAMPLE_RATE;
use crate::error::{Error, Result};
use crate::resample::Resampler;
use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use cpal::{FromSample, Sample, SampleFormat, SizedSample};

/// A running recording; dropping it (or [`Recorder::stop`]) ends it.
pub struct Recorder {
    _stream: cpal::Stream,
    /// The device's own rate and channel count.
    pub device_rate: u32,
    pub device_channels: u16,
}

/// Whether this computer has a default input device.
pub fn microphone_available() -> bool {
    cpal::default_host().default_input_device().is_some()
}

impl Recorder {
    /// Starts recording from the default input device. `on_audio` runs on
    /// the audio thread with 16 kHz mono blocks; keep it quick (send them
    /// on, e.g. to [`crate::Feeder::feed`]). `on_error` gets stream failures
    /// (a device unplugged).
    pub fn start(
        on_audio: impl FnMut(Vec<f32>) + Send + 'static,
        on_error: impl FnMut(Error) + Send + 'static,
    ) -> Result<Recorder> {
        let host = cpal::default_host();
        let device = host.default_input_device().ok_or(Error::NoMicrophone)?;
        let supported = device
            .default_input_config()
            .map_err(|e| Error::Microphone(e.to_string()))?;
        let config = supported.config();
        let (rate, channels) = (config.sample_rate, config.channels);
        let stream = match supported.sample_format() {
            SampleFormat::F32 => build::<f32>(&device, config, on_audio, on_error),
            SampleFormat::F64 => build::<f64>(&device, config, on_audio, on_error),
            SampleFormat::I16 => build::<i16>(&device, config, on_audio, on_error),
            SampleFormat::I32 => build::<i32>(&device, config, on_audio, on_error),
            SampleFormat::U16 => build::<u16>(&device, config, on_audio, on_error),
            SampleFormat::U8 => build::<u8>(&device, config, on_audio, on_error),
            other => {
                return Err(Error::Microphone(format!(
                    "the microphone's sample format {other} is not supported"
                )))
            }
        }?;
        stream
            .play()
            .map_err(|e| Error::Microphone(e.to_string()))?;
        Ok(Recorder {
            _stream: stream,
            device_rate: rate,
            device_channels: channels,
        })
    }

    pub fn stop(self) {}
}

fn build<T>(
    device: &cpal::Device,
    config: cpal::StreamConfig,
    mut on_audio: impl FnMut(Vec<f32>) + Send + 'static,
    mut on_error: impl FnMut(Error) + Send + 'static,
) -> Result<cpal::Stream>
where
    T: SizedSample,
    f32: FromSample<T>,
{
    let channels = usize::from(config.channels.max(1));
    let mut resampler = Resampler::new(config.sample_rate, SAMPLE_RATE);
    device
        .build_input_stream::<T, _, _>(
            config,
            move |data: &[T], _| {
                let mono: Vec<f32> = data
                    .chunks(channels)
                    .map(|f| f.iter().map(|&s| f32::from_sample(s)).sum::<f32>() / f.len() as f32)
                    .collect();
                let out = resampler.push(&mono);
                if !out.is_empty() {
                    on_audio(out);
                }
            },
            move |e| on_error(Error::Microphone(e.to_string())),
            None,
        )
        .map_err(|e| Error::Microphone(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;

    #[test]
    fn records_from_the_default_microphone() {
        if !microphone_available() {
            eprintln!("skipped: this computer has no input device");
            return;
        }
        let (tx, rx) = mpsc::channel();
        let rec = match Recorder::start(
            move |b| {
                let _ = tx.send(b.len());
            },
            |_| {},
        ) {
            Ok(r) => r,
            // A device listed but unusable (busy, no permission) is not a bug here.
            Err(e) => {
                eprintln!("skipped: the input device could not be opened: {e}");
                return;
            }
        };
        std::thread::sleep(Duration::from_millis(700));
        rec.stop();
        let samples: usize = rx.try_iter().sum();
        // About 0.7 s at 16 kHz, allowing for device start-up latency.
        assert!(samples > 3_000, "only {samples} samples in 0.7 s");
    }
}
