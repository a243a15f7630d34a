// The __ALGO_OWNER__/__ALGO_NAME__ algorithm.

namespace __ALGO_NAME__
{
    public class Algorithm
    {
        // Answers one request. A string parameter receives text as is and
        // JSON as its text; declare object to receive a string (text), a
        // byte[] (binary) or the decoded JSON value, or any class to have a
        // JSON object bound to it. A string result is text, a byte[] binary,
        // anything else is serialised as JSON.
        public string Apply(string input)
        {
            return "hello " + input;
        }
    }
}
