using Microsoft.Extensions.Options;

namespace ReactiveKafka.Hosting.Configuration;

/// <summary>
/// Validates one named settings instance at host start (<c>ValidateOnStart</c>) by building the options from it, so
/// that a bad value fails the start with the configuration key, not the first send or receive.
/// </summary>
internal sealed class SettingsValidator<TSettings>(string name, Action<TSettings> build) : IValidateOptions<TSettings>
    where TSettings : class
{
    public ValidateOptionsResult Validate(string? optionsName, TSettings options)
    {
        if (optionsName != name)
        {
            return ValidateOptionsResult.Skip;
        }

        try
        {
            build(options);
            return ValidateOptionsResult.Success;
        }
        catch (KafkaSettingsException error)
        {
            return ValidateOptionsResult.Fail(error.Message);
        }
    }
}
